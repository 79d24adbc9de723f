// The stage graph as SVG: stages in columns by depth (a stage sits right of everything it needs), edges from each
// dependency, colours and a symbol per status, and a matrix stage's combinations boxed together under its name.

import { s, statusSymbol } from './dom.js';

const NODE_W = 184, NODE_H = 46, COL_GAP = 64, ROW_GAP = 14, GROUP_HEAD = 22, PAD = 16;

/** The names a stage waits for: its needs, its inputs' stages, and the stage whose image it runs. */
function dependencies(stage, names) {
  const deps = [...(stage.needs ?? []), ...(stage.inputs ?? []).map(i => i.stage)];
  if (stage.run?.image && names.has(stage.run.image)) deps.push(stage.run.image);
  return deps;
}

/** Resolves a name to stages: the stage of that name, or every combination of a matrix stage of that name. */
function resolve(name, stages) {
  const exact = stages.filter(st => st.name === name);
  return exact.length > 0 ? exact : stages.filter(st => st.matrix?.stage === name);
}

export function layout(stages) {
  const names = new Set(stages.map(st => st.name).concat(stages.filter(st => st.matrix).map(st => st.matrix.stage)));
  const edges = [];
  for (const stage of stages)
    for (const dep of new Set(dependencies(stage, names)))
      for (const from of resolve(dep, stages)) if (from !== stage) edges.push([from, stage]);

  const depth = new Map();
  const depthOf = (stage, seen = new Set()) => {
    if (depth.has(stage)) return depth.get(stage);
    if (seen.has(stage)) return 0; // a cycle cannot be submitted; never loop on one
    seen.add(stage);
    const d = Math.max(-1, ...edges.filter(([, to]) => to === stage).map(([from]) => depthOf(from, seen))) + 1;
    depth.set(stage, d);
    return d;
  };
  stages.forEach(st => depthOf(st));

  const columns = [];
  stages.forEach(st => (columns[depth.get(st)] ??= []).push(st));
  const place = new Map(), groups = [];
  let height = 0;
  columns.forEach((column, c) => {
    let y = PAD;
    const x = PAD + c * (NODE_W + COL_GAP);
    for (let i = 0; i < column.length;) {
      const group = column[i].matrix?.stage;
      if (group) {
        const members = [];
        while (i < column.length && column[i].matrix?.stage === group) members.push(column[i++]);
        const top = y;
        y += GROUP_HEAD;
        for (const m of members) { place.set(m, { x, y }); y += NODE_H + ROW_GAP; }
        groups.push({ name: group, x: x - 8, y: top, w: NODE_W + 16, h: y - top - ROW_GAP + 8, count: members.length });
        y += ROW_GAP;
      } else {
        place.set(column[i++], { x, y });
        y += NODE_H + ROW_GAP;
      }
    }
    height = Math.max(height, y);
  });
  const width = PAD * 2 + columns.length * NODE_W + Math.max(0, columns.length - 1) * COL_GAP;
  return { place, edges, groups, width, height: height + PAD - ROW_GAP };
}

/** Draws the graph; each stage is a focusable button that calls onSelect(name). */
export function renderDag(stages, { selected, onSelect }) {
  const { place, edges, groups, width, height } = layout(stages);
  const svg = s('svg', {
    class: 'dag', viewBox: `0 0 ${width} ${height}`, width, height, role: 'group',
    'aria-label': `Stage graph: ${stages.length} stages`,
  });
  svg.append(s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'dag-arrow' }))));
  for (const g of groups) {
    svg.append(s('g', { class: 'dag-group' },
      s('rect', { x: g.x, y: g.y, width: g.w, height: g.h, rx: 10 }),
      s('text', { x: g.x + 10, y: g.y + 15, text: `${g.name} · matrix × ${g.count}` })));
  }
  for (const [from, to] of edges) {
    const a = place.get(from), b = place.get(to);
    const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x - 2, y2 = b.y + NODE_H / 2, mid = (x1 + x2) / 2;
    svg.append(s('path', { class: `dag-edge edge-${from.status}`, d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`, 'marker-end': 'url(#arrow)' }));
  }
  for (const stage of stages) {
    const { x, y } = place.get(stage);
    const label = `Stage ${stage.name}: ${stage.status}`;
    const node = s('g', {
      class: `dag-node status-${stage.status}${stage.name === selected ? ' selected' : ''}`, transform: `translate(${x},${y})`,
      tabindex: 0, role: 'button', 'aria-label': label, 'aria-pressed': String(stage.name === selected), dataset: { stage: stage.name },
      onclick: () => onSelect(stage.name),
      onkeydown: e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSelect(stage.name); } },
    },
    s('title', { text: label }),
    s('rect', { width: NODE_W, height: NODE_H, rx: 7 }),
    s('text', { class: 'dag-symbol', x: 12, y: 29, 'aria-hidden': 'true', text: statusSymbol(stage.status) }),
    s('text', { class: 'dag-name', x: 32, y: 20, text: clip(stage.name, 20) }),
    s('text', { class: 'dag-detail', x: 32, y: 36, text: detail(stage) }));
    svg.append(node);
  }
  return svg;
}

function detail(stage) {
  const time = stage.durationSeconds != null ? ` · ${stage.durationSeconds.toFixed(1)} s` : '';
  return `${stage.status}${time}`;
}

const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
