/**
 * The network map: every device's H3 cell (or, zoomed out, the count of
 * devices per coarser cell) drawn as SVG over a small outline basemap that
 * ships with the app — no tile server, no network fetch.
 */
import { cellToBoundary, cellToParent, getResolution } from 'h3-js';
import { type KeyboardEvent, type PointerEvent, useMemo, useRef, useState } from 'react';
import type { Device } from '../api.ts';
import { useRouter } from '../router.tsx';
import { moduleColor } from '../ui/primitives.tsx';
import basemap from './basemap.json';

export type DeviceStatus = 'active' | 'silent' | 'inactive';

/** A device's state on the map: deactivated on chain, active and sending, or active with nothing accepted yet. */
export function deviceStatus(d: Device): DeviceStatus {
  if (!d.active) return 'inactive';
  return d.lastSeq > 0 ? 'active' : 'silent';
}

export interface MapCell {
  cell: string;
  devices: Device[];
  /** The module with most devices in the cell (ties: alphabetical). */
  module: string;
  status: DeviceStatus;
}

/** Groups devices by their cell at `resolution` (their own cell when it is finer or equal). */
export function groupByCell(devices: readonly Device[], resolution: number | 'device'): MapCell[] {
  const byCell = new Map<string, Device[]>();
  for (const d of devices) {
    let cell = d.h3Cell;
    try {
      if (resolution !== 'device' && getResolution(cell) > resolution) cell = cellToParent(cell, resolution);
    } catch {
      continue; // not a valid H3 cell: nothing to draw
    }
    const list = byCell.get(cell);
    if (list) list.push(d);
    else byCell.set(cell, [d]);
  }
  return [...byCell].map(([cell, list]) => {
    const counts = new Map<string, number>();
    for (const d of list) counts.set(d.module, (counts.get(d.module) ?? 0) + 1);
    const module = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
    const statuses = list.map(deviceStatus);
    const status: DeviceStatus = statuses.includes('active')
      ? 'active'
      : statuses.includes('silent')
        ? 'silent'
        : 'inactive';
    return { cell, devices: list, module, status };
  });
}

const SCALE = 10_000; // SVG units per degree of latitude

interface Projection {
  x(lng: number): number;
  y(lat: number): number;
}

function projection(lat0: number, lng0: number): Projection {
  const k = Math.cos((lat0 * Math.PI) / 180);
  return { x: (lng) => (lng - lng0) * k * SCALE, y: (lat) => -(lat - lat0) * SCALE };
}

function pathOf(points: [number, number][], p: Projection): string {
  return `${points.map(([lat, lng], i) => `${i ? 'L' : 'M'}${p.x(lng).toFixed(1)},${p.y(lat).toFixed(1)}`).join('')}Z`;
}

function describe(c: MapCell): string {
  const n = c.devices.length;
  if (n === 1) {
    const d = c.devices[0]!;
    return `device ${d.deviceId}, module ${d.module}, ${deviceStatus(d)}, cell ${c.cell}`;
  }
  const parts = new Map<string, number>();
  for (const d of c.devices) {
    const k = `${d.module} ${deviceStatus(d)}`;
    parts.set(k, (parts.get(k) ?? 0) + 1);
  }
  return `cell ${c.cell}: ${n} devices (${[...parts].map(([k, v]) => `${v} ${k}`).join(', ')})`;
}

interface View {
  cx: number;
  cy: number;
  zoom: number;
}

/**
 * The hex map. A cell with one device links straight to the device's page;
 * a cell with several selects it (its devices are listed by `onSelect`'s owner).
 * Keyboard: Tab through cells; on the map, + and − zoom, arrows pan.
 */
export function HexMap({
  devices,
  resolution,
  selected,
  onSelect,
  height = 460,
  label = 'Network map',
}: {
  devices: readonly Device[];
  resolution: number | 'device';
  selected?: string | undefined;
  onSelect?: (cell: MapCell | undefined) => void;
  height?: number;
  label?: string;
}) {
  const { navigate } = useRouter();
  const cells = useMemo(() => groupByCell(devices, resolution), [devices, resolution]);
  const maxCount = Math.max(1, ...cells.map((c) => c.devices.length));

  // Fit the drawing to the devices (or to the basemap's area when there are none).
  const frame = useMemo(() => {
    const pts: [number, number][] = [];
    for (const c of cells) for (const b of cellToBoundary(c.cell)) pts.push(b);
    if (pts.length === 0) pts.push([38.64, -9.22], [38.8, -9.06]);
    const lats = pts.map((p) => p[0]);
    const lngs = pts.map((p) => p[1]);
    const lat0 = (Math.min(...lats) + Math.max(...lats)) / 2;
    const lng0 = (Math.min(...lngs) + Math.max(...lngs)) / 2;
    const proj = projection(lat0, lng0);
    const xs = lngs.map(proj.x);
    const ys = lats.map(proj.y);
    const pad = 0.08;
    let w = Math.max(...xs) - Math.min(...xs);
    let h = Math.max(...ys) - Math.min(...ys);
    w = Math.max(w, 40) * (1 + 2 * pad);
    h = Math.max(h, 40) * (1 + 2 * pad);
    // Keep the frame's aspect close to the element's (wide), so nothing is cut off.
    const aspect = 1.6;
    if (w / h < aspect) w = h * aspect;
    else h = w / aspect;
    const k = Math.cos((lat0 * Math.PI) / 180);
    const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
    const cy = (Math.max(...ys) + Math.min(...ys)) / 2;
    return { proj, w, h, cx, cy, lat: lat0 - cy / SCALE, lng: lng0 + cx / (k * SCALE), k };
  }, [cells]);

  const [view, setView] = useState<View>({ cx: 0, cy: 0, zoom: 1 });
  const vw = frame.w / view.zoom;
  const vh = frame.h / view.zoom;
  const vx = frame.cx + view.cx - vw / 2;
  const vy = frame.cy + view.cy - vh / 2;

  const zoomBy = (f: number) => setView((v) => ({ ...v, zoom: Math.min(64, Math.max(1, v.zoom * f)) }));
  const panBy = (fx: number, fy: number) =>
    setView((v) => ({ ...v, cx: v.cx + (fx * frame.w) / v.zoom, cy: v.cy + (fy * frame.h) / v.zoom }));

  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (e.target !== e.currentTarget) return; // keys on a cell belong to the cell
    const step = 0.1;
    switch (e.key) {
      case '+':
      case '=':
        zoomBy(1.5);
        break;
      case '-':
        zoomBy(1 / 1.5);
        break;
      case 'ArrowLeft':
        panBy(-step, 0);
        break;
      case 'ArrowRight':
        panBy(step, 0);
        break;
      case 'ArrowUp':
        panBy(0, -step);
        break;
      case 'ArrowDown':
        panBy(0, step);
        break;
      case '0':
        setView({ cx: 0, cy: 0, zoom: 1 });
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  // Drag to pan; a drag is not a click on the cell under the pointer.
  const drag = useRef<{ x: number; y: number; moved: boolean; id: number } | null>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    drag.current = { x: e.clientX, y: e.clientY, moved: false, id: e.pointerId };
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (!d || !svgRef.current) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < 5) return;
    if (!d.moved) svgRef.current.setPointerCapture(d.id);
    d.moved = true;
    const r = svgRef.current.getBoundingClientRect();
    const unitsPerPx = Math.max(vw / r.width, vh / r.height);
    setView((v) => ({ ...v, cx: v.cx - dx * unitsPerPx, cy: v.cy - dy * unitsPerPx }));
    d.x = e.clientX;
    d.y = e.clientY;
  };
  const onPointerUp = () => {
    const d = drag.current;
    if (d?.moved) setTimeout(() => (drag.current = null), 0);
    else drag.current = null;
  };

  const p = frame.proj;
  const graticule = useMemo(() => {
    // Lines every 0.01°–1° (by the frame's size), over twice the frame each way so panning keeps them.
    const lines: string[] = [];
    const latSpan = frame.h / SCALE;
    const lngSpan = frame.w / (frame.k * SCALE);
    const step = latSpan > 2 ? 1 : latSpan > 0.5 ? 0.1 : latSpan > 0.1 ? 0.05 : 0.01;
    const [latMin, latMax] = [frame.lat - 2 * latSpan, frame.lat + 2 * latSpan];
    const [lngMin, lngMax] = [frame.lng - 2 * lngSpan, frame.lng + 2 * lngSpan];
    for (let i = Math.ceil(latMin / step); i * step <= latMax; i++)
      lines.push(`M${p.x(lngMin)},${p.y(i * step)}H${p.x(lngMax)}`);
    for (let i = Math.ceil(lngMin / step); i * step <= lngMax; i++)
      lines.push(`M${p.x(i * step)},${p.y(latMin)}V${p.y(latMax)}`);
    return lines;
  }, [frame, p]);

  const water = useMemo(
    () =>
      (basemap.water as [number, number][][]).map((ring) =>
        pathOf(
          ring.map(([lng, lat]) => [lat, lng]),
          p,
        ),
      ),
    [p],
  );

  const fontSize = vh / 40;

  return (
    <section
      className="map"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the map itself takes + − 0 and arrow keys.
      tabIndex={0}
      aria-label={`${label}: ${cells.length} cells. Plus and minus zoom, arrows pan, 0 resets; Tab moves through cells.`}
      onKeyDown={onKeyDown}
      data-testid="hex-map"
    >
      <div className="map-controls">
        <button type="button" className="btn btn-secondary" onClick={() => zoomBy(1.5)} aria-label="Zoom in">
          +
        </button>
        <button
          type="button"
          className="btn btn-secondary"
          onClick={() => zoomBy(1 / 1.5)}
          aria-label="Zoom out"
        >
          −
        </button>
        <button
          type="button"
          className="btn btn-secondary"
          onClick={() => setView({ cx: 0, cy: 0, zoom: 1 })}
        >
          Reset
        </button>
      </div>
      <svg
        ref={svgRef}
        viewBox={`${vx} ${vy} ${vw} ${vh}`}
        style={{ maxHeight: height }}
        preserveAspectRatio="xMidYMid meet"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onClickCapture={(e) => {
          if (drag.current?.moved) {
            e.preventDefault();
            e.stopPropagation();
          }
        }}
      >
        <title>{label}</title>
        <rect x={vx} y={vy} width={vw} height={vh} className="land" />
        {water.map((d) => (
          <path key={d.slice(0, 40)} d={d} className="water" />
        ))}
        {graticule.map((d) => (
          <path key={d} d={d} className="graticule" vectorEffect="non-scaling-stroke" />
        ))}
        <g className="places">
          {basemap.labels.map((l) => (
            <text
              key={l.text}
              x={p.x(l.at[0]!)}
              y={p.y(l.at[1]!)}
              className="place"
              fontSize={fontSize * 1.1}
              textAnchor="middle"
            >
              {l.text}
            </text>
          ))}
        </g>
        {cells.map((c) => {
          const color = moduleColor(c.module);
          const n = c.devices.length;
          const density = resolution === 'device' ? 1 : 0.35 + 0.65 * (n / maxCount);
          const fillOpacity =
            c.status === 'inactive' ? 0.25 : c.status === 'silent' ? 0.3 * density : 0.85 * density;
          const boundary = cellToBoundary(c.cell);
          // A cell smaller than a few pixels gets a marker on top, so it can be seen and hit.
          const xs = boundary.map((b) => p.x(b[1]));
          const tiny = Math.max(...xs) - Math.min(...xs) < vw / 80;
          const marker = tiny ? (
            <circle
              cx={p.x(meanOf(boundary, 1))}
              cy={p.y(meanOf(boundary, 0))}
              r={vw / 160}
              fill={c.status === 'inactive' ? '#ffffff' : color}
              fillOpacity={c.status === 'silent' ? 0.35 : 1}
              stroke={c.status === 'inactive' ? '#57606a' : color}
              strokeWidth={c.cell === selected ? 3 : 1.5}
              strokeDasharray={c.status === 'inactive' ? '3 2' : undefined}
              vectorEffect="non-scaling-stroke"
              className="hex"
            />
          ) : null;
          const shape = (
            <path
              d={pathOf(boundary, p)}
              fill={c.status === 'inactive' ? '#57606a' : color}
              fillOpacity={fillOpacity}
              stroke={c.status === 'inactive' ? '#57606a' : color}
              strokeWidth={c.cell === selected ? 3 : 1.2}
              strokeDasharray={c.status === 'inactive' ? '4 3' : undefined}
              vectorEffect="non-scaling-stroke"
              className={c.cell === selected ? 'hex selected' : 'hex'}
            />
          );
          const text = describe(c);
          if (n === 1) {
            const id = c.devices[0]!.deviceId;
            return (
              <a
                key={c.cell}
                href={`/devices/${id}`}
                aria-label={text}
                className="cell-link"
                data-cell={c.cell}
                onClick={(e) => {
                  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
                  e.preventDefault();
                  navigate(`/devices/${id}`);
                }}
              >
                <title>{text}</title>
                {shape}
                {marker}
              </a>
            );
          }
          return (
            // biome-ignore lint/a11y/useSemanticElements: an SVG group cannot be a <button>.
            <g
              key={c.cell}
              role="button"
              tabIndex={0}
              aria-label={text}
              aria-pressed={c.cell === selected}
              className="cell-link"
              data-cell={c.cell}
              onClick={() => onSelect?.(c.cell === selected ? undefined : c)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  onSelect?.(c.cell === selected ? undefined : c);
                }
              }}
            >
              <title>{text}</title>
              {shape}
              {marker}
              {resolution !== 'device' ? (
                <text
                  x={p.x(meanOf(boundary, 1))}
                  y={p.y(meanOf(boundary, 0))}
                  className="count"
                  fontSize={fontSize}
                  textAnchor="middle"
                  dominantBaseline="central"
                >
                  {n}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <p className="map-note muted">{basemap.note.split('.')[0]}. Drag or use the arrow keys to pan.</p>
    </section>
  );
}

/** Mean of the latitudes (0) or longitudes (1) of a cell's boundary: its centre, near enough. */
function meanOf(boundary: [number, number][], i: 0 | 1): number {
  return boundary.reduce((s, b) => s + b[i], 0) / boundary.length;
}

/** Resolution choices offered above the map. */
export const MAP_RESOLUTIONS: { value: number | 'device'; label: string }[] = [
  { value: 'device', label: 'Each device' },
  { value: 9, label: 'Density, ~0.1 km² cells (res 9)' },
  { value: 8, label: 'Density, ~0.7 km² cells (res 8)' },
  { value: 7, label: 'Density, ~5 km² cells (res 7)' },
];

/** The resolution of a device's own cell, for the legend. */
export function cellResolution(cell: string): number | undefined {
  try {
    return getResolution(cell);
  } catch {
    return undefined;
  }
}
