"""Reads the gateway's SensorThings API with FROST's Python client
(frost-sta-client, written by others), as the data lake would, and prints
what it read as JSON for the Rust test to check.

    sensorthings_client.py BASE_URL TOKEN
"""
import json
import sys

import frost_sta_client as fsc

base, token = sys.argv[1], sys.argv[2]
# Basic authentication with the role token as the password: what the client can send.
service = fsc.SensorThingsService(base, auth_handler=fsc.AuthHandler(username="token", password=token))

things = [{"id": t.id, "name": t.name, "device": t.properties["id"]} for t in service.things().query().list()]
datastreams = []
for d in service.datastreams().query().list():
    datastreams.append({"id": d.id, "name": d.name, "unit": d.unit_of_measurement.symbol})
out = {"things": things, "datastreams": datastreams}
if datastreams:
    first = service.datastreams().find(datastreams[0]["id"])
    # Paged two at a time: the client follows @iot.nextLink.
    paged = first.get_observations().query().top(2).orderby("phenomenonTime", "asc").list()
    out["observations"] = [{"time": o.phenomenon_time, "result": o.result} for o in paged]
    high = first.get_observations().query().filter("result gt 5.0").orderby("phenomenonTime", "desc").list()
    out["above_5"] = [o.result for o in high]
    out["datastream_unit"] = first.unit_of_measurement.name
# The hourly means: found by their properties, read over a time range two at a time.
hourly = service.datastreams().query().filter("properties/aggregatePeriod eq 'PT1H'").list()
hourly = [d.id for d in hourly]
out["hourly_ids"] = hourly
if hourly:
    stream = service.datastreams().find(hourly[0])
    hours = stream.get_observations().query().filter(
        "phenomenonTime ge 2020-10-17T01:00:00Z and phenomenonTime lt 2020-10-17T04:00:00Z"
    ).orderby("phenomenonTime", "asc").top(2).list()
    out["hourly"] = {
        "name": stream.name,
        "observation_type": stream.observation_type,
        "unit": stream.unit_of_measurement.symbol,
        "observations": [
            {"time": o.phenomenon_time, "result_time": o.result_time, "result": o.result, "parameters": o.parameters}
            for o in hours
        ],
    }
print(json.dumps(out))
