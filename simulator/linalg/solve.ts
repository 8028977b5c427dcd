// Solves A·X = B for a small dense symmetric positive (semi-)definite A by
// Gaussian elimination with partial pivoting (Golub & Van Loan §3.4). The
// least-squares attack needs it for its normal equations (users × users);
// a singular pivot is regularised by a tiny ridge. O(n³) with m = n: the
// loops walk rows of the row-major arrays, never down a column.

/** A is n×n (row-major), B is n×m (row-major); returns X (n×m). A and B are not modified. */
export function solveLinear(a: Float64Array, b: Float64Array, n: number, m: number): Float64Array {
  if (a.length !== n * n || b.length !== n * m) throw new RangeError('solveLinear: dimensions do not match');
  const A = Float64Array.from(a);
  const X = Float64Array.from(b);
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(A[i * n + i]));
  const ridge = (scale || 1) * 1e-12;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(A[r * n + col]) > Math.abs(A[pivot * n + col])) pivot = r;
    if (pivot !== col) {
      swapRows(A, n, col, pivot);
      swapRows(X, m, col, pivot);
    }
    if (Math.abs(A[col * n + col]) < ridge) A[col * n + col] = ridge;
    const d = A[col * n + col];
    const pivotA = col * n;
    const pivotX = col * m;
    for (let r = col + 1; r < n; r++) {
      const rowA = r * n;
      const f = A[rowA + col] / d;
      if (f === 0) continue;
      for (let k = col; k < n; k++) A[rowA + k] -= f * A[pivotA + k];
      const rowX = r * m;
      for (let k = 0; k < m; k++) X[rowX + k] -= f * X[pivotX + k];
    }
  }
  // Back substitution row by row: X[row] −= A[row][j]·X[j] for j ascending,
  // then ÷ the pivot. Each entry sees the same operations in the same order
  // as a column-by-column loop, but every pass reads a row of X in order
  // instead of striding down a column (m·8 bytes a step).
  for (let row = n - 1; row >= 0; row--) {
    const d = A[row * n + row];
    const at = row * m;
    for (let j = row + 1; j < n; j++) {
      const a = A[row * n + j];
      const from = j * m;
      for (let k = 0; k < m; k++) X[at + k] -= a * X[from + k];
    }
    for (let k = 0; k < m; k++) X[at + k] /= d;
  }
  return X;
}

function swapRows(M: Float64Array, width: number, i: number, j: number): void {
  for (let k = 0; k < width; k++) {
    const t = M[i * width + k];
    M[i * width + k] = M[j * width + k];
    M[j * width + k] = t;
  }
}
