// Line diff for the Tools page's review of a changed definition: pretty-printed JSON (keys
// sorted, so key order never shows as a change) compared line by line with a longest common
// subsequence, then paired into side-by-side rows.

// canonical pretty-prints a JSON value with object keys sorted.
export function canonical(value) {
  const sort = (v) => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      const out = {};
      for (const k of Object.keys(v).sort()) out[k] = sort(v[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2);
}

// lineDiff returns the edit script from a to b (arrays of lines): {op: 'same'|'del'|'add', text}.
// Definitions are small (a few hundred lines at most); above maxCells the table would be too
// big, so the whole of a is deleted and b added (still correct, just coarse).
export function lineDiff(a, b, maxCells = 4_000_000) {
  const n = a.length, m = b.length;
  if (n * m > maxCells) {
    return [...a.map((text) => ({ op: 'del', text })), ...b.map((text) => ({ op: 'add', text }))];
  }
  // lcs[i][j]: length of the LCS of a[i:] and b[j:], in one flat array.
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push({ op: 'same', text: a[i] }); i++; j++; }
    else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) out.push({ op: 'del', text: a[i++] });
    else out.push({ op: 'add', text: b[j++] });
  }
  while (i < n) out.push({ op: 'del', text: a[i++] });
  while (j < m) out.push({ op: 'add', text: b[j++] });
  return out;
}

// sideBySide pairs an edit script into rows {left, right, kind}: unchanged lines on both
// sides; a run of deletions next to the run of additions that replaces it.
export function sideBySide(script) {
  const rows = [];
  for (let k = 0; k < script.length;) {
    if (script[k].op === 'same') { rows.push({ left: script[k].text, right: script[k].text, kind: 'same' }); k++; continue; }
    const dels = [], adds = [];
    while (k < script.length && script[k].op === 'del') dels.push(script[k++].text);
    while (k < script.length && script[k].op === 'add') adds.push(script[k++].text);
    for (let r = 0; r < Math.max(dels.length, adds.length); r++) {
      rows.push({ left: dels[r] ?? null, right: adds[r] ?? null, kind: 'change' });
    }
  }
  return rows;
}
