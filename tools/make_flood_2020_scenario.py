#!/usr/bin/env python3
"""Writes assets/feeds/flood-2020-10/observations.jsonl: the October 2020
flood on the Thạch Hãn, Hiếu and Bến Hải rivers as feed messages.

Known points (provincial bulletins, see ../shared/data/README.md): peaks of
7.40 m at Thạch Hãn (01:30, 18 Oct 2020), 5.36 m at Đông Hà and 2.96 m at
Hiền Lương (18 Oct); alarm levels of Decision 05/2020/QĐ-TTg. Everything
between them is RECONSTRUCTED: the base levels, the hours of the Đông Hà and
Hiền Lương peaks, and the smooth rise and fall are assumptions."""
import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

ICT = timezone(timedelta(hours=7))
START = datetime(2020, 10, 14, 0, 0, tzinfo=ICT)
END = datetime(2020, 10, 21, 0, 0, tzinfo=ICT)

# gauge: (base level m, peak level m, peak time, rise hours, fall hours)
GAUGES = {
    "gauge-thach-han": (1.0, 7.40, datetime(2020, 10, 18, 1, 30, tzinfo=ICT), 60, 70),
    "gauge-dong-ha": (0.6, 5.36, datetime(2020, 10, 18, 4, 0, tzinfo=ICT), 60, 70),
    "gauge-hien-luong": (0.3, 2.96, datetime(2020, 10, 18, 6, 0, tzinfo=ICT), 60, 60),
}
CAMERAS = ["cam-citadel-south-gate", "cam-thach-han-bridge", "cam-dong-ha-bridge", "cam-hien-luong-bridge"]
LIGHTS_CITADEL = [f"light-citadel-{i:02}" for i in range(1, 7)]
LIGHTS_DONG_HA = [f"light-dong-ha-{i:02}" for i in range(1, 7)]


def level(gauge, t):
    base, peak, at, rise, fall = GAUGES[gauge]
    hours = (t - at).total_seconds() / 3600
    width = rise if hours < 0 else fall
    # A bell in time, exact at the known peak.
    return base + (peak - base) * math.exp(-0.5 * (hours / (width / 3)) ** 2)


def iso(t):
    return t.isoformat()


lines = [
    "# October 2020 flood, Quảng Trị: Thạch Hãn, Hiếu (Đông Hà) and Bến Hải (Hiền Lương).",
    "# Observed: peaks 7.40 m Thạch Hãn at 01:30 18 Oct, 5.36 m Đông Hà and 2.96 m Hiền Lương on 18 Oct.",
    "# RECONSTRUCTED: base levels, the hours of the Đông Hà and Hiền Lương peaks and the",
    "# hydrograph between the known points; camera and street-light reports are simulated.",
]
messages = []
t = START
while t < END:
    for gauge in GAUGES:
        # Hourly readings stay below the observed peak, which has its own message.
        value = min(math.floor(level(gauge, t) * 100) / 100, GAUGES[gauge][1] - 0.01)
        messages.append((t, {"device": gauge, "time": iso(t), "level_m": value}))
    thach_han = level("gauge-thach-han", t)
    dong_ha = level("gauge-dong-ha", t)
    night = t.hour >= 18 or t.hour < 6
    for light in LIGHTS_CITADEL + LIGHTS_DONG_HA:
        flooded = (light in LIGHTS_CITADEL and thach_han > 6.0) or (light in LIGHTS_DONG_HA and dong_ha > 4.5)
        message = {"device": light, "time": iso(t), "on": night and not flooded, "dim": 0.8 if night and not flooded else 0.0}
        if flooded:
            message["fault"] = "flooded"
        messages.append((t, message))
    for minute in range(0, 60, 15):
        tc = t + timedelta(minutes=minute)
        for i, camera in enumerate(CAMERAS):
            # The Thạch Hãn bridge camera loses power around the peak.
            online = not (camera == "cam-thach-han-bridge" and level("gauge-thach-han", tc) > 7.0)
            message = {"device": camera, "time": iso(tc), "online": online}
            if online:
                message["snapshot_url"] = "/snapshots/" + ("human.jpg" if i % 2 == 0 else "vehicle.jpg")
            messages.append((tc, message))
    t += timedelta(hours=1)
# The observed peak itself, at its hour.
peak = GAUGES["gauge-thach-han"][2]
messages.append((peak, {"device": "gauge-thach-han", "time": iso(peak), "level_m": 7.40}))
messages.sort(key=lambda m: m[0])
out = Path(__file__).resolve().parent.parent / "assets/feeds/flood-2020-10/observations.jsonl"
out.write_text("\n".join(lines + [json.dumps(m, ensure_ascii=False) for _, m in messages]) + "\n")
print(f"{len(messages)} messages -> {out}")
