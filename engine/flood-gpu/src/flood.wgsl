// The local-inertial flood solver (Bates et al. 2010; θ-scheme of de Almeida
// et al. 2012), one kernel per stage, matching sontinh-flood's CPU solver:
// new x- and y-face discharges from the old state, an outflow limiter that
// keeps depths non-negative, the volume through the edges (measured, for the
// volume balance), then continuity with sources. Each edge is closed (0),
// free outflow (1, value = energy slope) or a stage (2, value = water level
// this step); river inflows through edge faces override them.
//
// Cell (c, r) is at r * nx + c. x-face f of row r is at r * (nx + 1) + f (west
// of cell f); y-face row f, column c is at f * nx + c (north of row f).

struct Params {
    nx: u32,
    ny: u32,
    dx: f32,
    dt: f32,
    g: f32,
    theta: f32,
    threshold: f32,
    // Largest Froude number at a face; 0 disables the limit.
    froude: f32,
    // Rain depth added to every cell this step, m.
    rain_depth: f32,
    sources: u32,
    time_after: f32,
    arrival_depth: f32,
    // Where this step's point inflows start in `sources`.
    source_base: u32,
    // Where this step's edge inflows start in `land`, past the bed and n.
    edge_base: u32,
    pad0: u32,
    pad1: u32,
    // North, south, west, east.
    edge_kind: vec4<u32>,
    edge_value: vec4<f32>,
}

struct Source {
    cell: u32,
    depth: f32,
}

// Eight storage buffers, WebGPU's least per-stage limit (a browser's
// device has no more): related arrays share one, behind the accessors below.
@group(0) @binding(0) var<uniform> p: Params;
// Bed elevation per cell, then Manning's n per cell, then the discharge per
// unit width entering through each edge face (north faces, then south, west,
// east; below -1e29 where no river enters), one such block per step of a
// batch when rivers enter through the edges.
@group(0) @binding(1) var<storage, read> land: array<f32>;
@group(0) @binding(2) var<storage, read_write> h: array<f32>;
// x-face discharges, then y-face discharges: the old step's, and the new.
@group(0) @binding(3) var<storage, read_write> q: array<f32>;
@group(0) @binding(4) var<storage, read_write> q_new: array<f32>;
// The limiter's factor per cell, then the deepest water (see `deepest`).
@group(0) @binding(5) var<storage, read_write> scale: array<f32>;
@group(0) @binding(6) var<storage, read> sources: array<Source>;
// The deepest water per cell, then the arrival time per cell (-1: not yet).
@group(0) @binding(7) var<storage, read_write> track: array<f32>;
// Volume that has entered through each edge face since the start, m³ (north
// faces, then south, west, east; negative where water left), followed by the
// same number of Kahan compensation terms.
@group(0) @binding(8) var<storage, read_write> edge_in: array<f32>;

fn cells() -> u32 {
    return p.nx * p.ny;
}

// Where the y-faces start in `q` and `q_new`.
fn y_faces() -> u32 {
    return (p.nx + 1u) * p.ny;
}

// Discharge through an edge face next to a cell with bed `z` and surface `eta`.
fn edge_flux(edge: u32, z: f32, eta: f32, q0: f32, n: f32, outward_positive: bool) -> f32 {
    let kind = p.edge_kind[edge];
    if (kind == 1u) {
        let depth = eta - z;
        if (depth <= p.threshold) {
            return 0.0;
        }
        let q = pow(depth, 5.0 / 3.0) * sqrt(p.edge_value[edge]) / max(n, 1e-6);
        return select(-q, q, outward_positive);
    }
    if (kind == 2u) {
        let ghost_eta = max(p.edge_value[edge], z);
        if (outward_positive) {
            return face_flux(z, eta, z, ghost_eta, q0, q0, n);
        }
        return face_flux(z, ghost_eta, z, eta, q0, q0, n);
    }
    return 0.0;
}

fn face_flux(z_l: f32, eta_l: f32, z_r: f32, eta_r: f32, q0: f32, q_avg: f32, n: f32) -> f32 {
    let flow_depth = max(eta_l, eta_r) - max(z_l, z_r);
    if (flow_depth <= p.threshold) {
        return 0.0;
    }
    let slope = (eta_r - eta_l) / p.dx;
    let friction = 1.0 + p.g * p.dt * n * n * abs(q0) / pow(flow_depth, 7.0 / 3.0);
    var q = (q_avg - p.g * flow_depth * p.dt * slope) / friction;
    if (p.froude > 0.0) {
        let q_max = p.froude * flow_depth * sqrt(p.g * flow_depth);
        q = clamp(q, -q_max, q_max);
    }
    return q;
}

fn index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
    return id.x + id.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn flux_x(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(id, groups);
    let w = p.nx + 1u;
    if (i >= w * p.ny) {
        return;
    }
    let r = i / w;
    let f = i % w;
    if (f == 0u || f == p.nx) {
        let west = f == 0u;
        let cell = select(r * p.nx + p.nx - 1u, r * p.nx, west);
        let inflow = land[2u * cells() + p.edge_base + select(2u * p.nx + p.ny + r, 2u * p.nx + r, west)];
        if (inflow > -1e29) {
            q_new[i] = select(-inflow, inflow, west);
        } else {
            q_new[i] = edge_flux(select(3u, 2u, west), land[cell], land[cell] + h[cell], q[i], land[cells() + cell], !west);
        }
        return;
    }
    let l = r * p.nx + f - 1u;
    let rr = l + 1u;
    let q0 = q[i];
    let q_avg = p.theta * q0 + (1.0 - p.theta) * 0.5 * (q[i - 1u] + q[i + 1u]);
    q_new[i] = face_flux(land[l], land[l] + h[l], land[rr], land[rr] + h[rr], q0, q_avg, 0.5 * (land[cells() + l] + land[cells() + rr]));
}

@compute @workgroup_size(64)
fn flux_y(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(id, groups);
    if (i >= p.nx * (p.ny + 1u)) {
        return;
    }
    let f = i / p.nx;
    let c = i % p.nx;
    if (f == 0u || f == p.ny) {
        let north = f == 0u;
        let cell = select((p.ny - 1u) * p.nx + c, c, north);
        let inflow = land[2u * cells() + p.edge_base + select(p.nx + c, c, north)];
        if (inflow > -1e29) {
            q_new[y_faces() + i] = select(-inflow, inflow, north);
        } else {
            q_new[y_faces() + i] = edge_flux(select(1u, 0u, north), land[cell], land[cell] + h[cell], q[y_faces() + i], land[cells() + cell], !north);
        }
        return;
    }
    let up = (f - 1u) * p.nx + c;
    let down = f * p.nx + c;
    let q0 = q[y_faces() + i];
    let q_avg = p.theta * q0 + (1.0 - p.theta) * 0.5 * (q[y_faces() + i - p.nx] + q[y_faces() + i + p.nx]);
    q_new[y_faces() + i] = face_flux(land[up], land[up] + h[up], land[down], land[down] + h[down], q0, q_avg, 0.5 * (land[cells() + up] + land[cells() + down]));
}

@compute @workgroup_size(64)
fn limit(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(id, groups);
    if (i >= p.nx * p.ny) {
        return;
    }
    let c = i % p.nx;
    let r = i / p.nx;
    let w = p.nx + 1u;
    let out = max(-q_new[r * w + c], 0.0) + max(q_new[r * w + c + 1u], 0.0)
        + max(-q_new[y_faces() + r * p.nx + c], 0.0) + max(q_new[y_faces() + (r + 1u) * p.nx + c], 0.0);
    let leaving = out * p.dt / p.dx;
    var s = 1.0;
    if (leaving > h[i] && leaving > 0.0) {
        s = h[i] / leaving;
    }
    scale[i] = s;
}

@compute @workgroup_size(64)
fn apply_limit_x(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(id, groups);
    let w = p.nx + 1u;
    if (i >= w * p.ny) {
        return;
    }
    let r = i / w;
    let f = i % w;
    let q = q_new[i];
    if (q > 0.0 && f > 0u) {
        q_new[i] = q * scale[r * p.nx + f - 1u];
    } else if (q < 0.0 && f < p.nx) {
        q_new[i] = q * scale[r * p.nx + f];
    }
}

@compute @workgroup_size(64)
fn apply_limit_y(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(id, groups);
    if (i >= p.nx * (p.ny + 1u)) {
        return;
    }
    let f = i / p.nx;
    let c = i % p.nx;
    let q = q_new[y_faces() + i];
    if (q > 0.0 && f > 0u) {
        q_new[y_faces() + i] = q * scale[(f - 1u) * p.nx + c];
    } else if (q < 0.0 && f < p.ny) {
        q_new[y_faces() + i] = q * scale[f * p.nx + c];
    }
}

// After the limiter: each edge face's inward discharge this step, added to
// its running volume (compensated, so that thousands of steps of f32 keep
// their digits).
@compute @workgroup_size(64)
fn edge_volume(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(id, groups);
    let faces = 2u * (p.nx + p.ny);
    if (i >= faces) {
        return;
    }
    var q: f32;
    if (i < p.nx) {
        // North faces: positive discharge runs south, into the area.
        q = q_new[y_faces() + i];
    } else if (i < 2u * p.nx) {
        q = -q_new[y_faces() + p.ny * p.nx + i - p.nx];
    } else if (i < 2u * p.nx + p.ny) {
        // West faces: positive discharge runs east, into the area.
        q = q_new[(i - 2u * p.nx) * (p.nx + 1u)];
    } else {
        q = -q_new[(i - 2u * p.nx - p.ny) * (p.nx + 1u) + p.nx];
    }
    let y = q * p.dt * p.dx - edge_in[faces + i];
    let t = edge_in[i] + y;
    edge_in[faces + i] = (t - edge_in[i]) - y;
    edge_in[i] = t;
}

@compute @workgroup_size(64)
fn continuity(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(id, groups);
    if (i >= p.nx * p.ny) {
        return;
    }
    let c = i % p.nx;
    let r = i / p.nx;
    let w = p.nx + 1u;
    let net = q_new[r * w + c] - q_new[r * w + c + 1u] + q_new[y_faces() + r * p.nx + c] - q_new[y_faces() + (r + 1u) * p.nx + c];
    var d = h[i] + p.dt / p.dx * net + p.rain_depth;
    for (var k = 0u; k < p.sources; k = k + 1u) {
        let source = sources[p.source_base + k];
        if (source.cell == i) {
            d = d + source.depth;
        }
    }
    d = max(d, 0.0);
    h[i] = d;
    track[i] = max(track[i], d);
    if (d > p.arrival_depth && track[cells() + i] < 0.0) {
        track[cells() + i] = p.time_after;
    }
}

// The deepest water of all cells, into the slot after the limiter's factors:
// the next time step needs one number, not the depths.
var<workgroup> deepest_part: array<f32, 256>;

@compute @workgroup_size(256)
fn deepest(@builtin(local_invocation_index) k: u32) {
    var m = 0.0;
    for (var i = k; i < cells(); i = i + 256u) {
        m = max(m, h[i]);
    }
    deepest_part[k] = m;
    workgroupBarrier();
    for (var stride = 128u; stride > 0u; stride = stride >> 1u) {
        if (k < stride) {
            deepest_part[k] = max(deepest_part[k], deepest_part[k + stride]);
        }
        workgroupBarrier();
    }
    if (k == 0u) {
        scale[cells()] = deepest_part[0];
    }
}
