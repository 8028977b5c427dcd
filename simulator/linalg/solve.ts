// Solves A·X = B for a small dense symmetric positive (semi-)definite A by
// Gaussian elimination with partial pivoting (Golub & Van Loan §3.4). The
// least-squares attack needs it for its normal equations (users × users,
// a few hundred at most); a singular pivot is regularised by a tiny ridge.

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
      for (let k = 0; k < n; k++) [A[col * n + k], A[pivot * n + k]] = [A[pivot * n + k], A[col * n + k]];
      for (let k = 0; k < m; k++) [X[col * m + k], X[pivot * m + k]] = [X[pivot * m + k], X[col * m + k]];
    }
    if (Math.abs(A[col * n + col]) < ridge) A[col * n + col] = ridge;
    const d = A[col * n + col];
    for (let r = col + 1; r < n; r++) {
      const f = A[r * n + col] / d;
      if (f === 0) continue;
      for (let k = col; k < n; k++) A[r * n + k] -= f * A[col * n + k];
      for (let k = 0; k < m; k++) X[r * m + k] -= f * X[col * m + k];
    }
  }
  for (let row = n - 1; row >= 0; row--) {
    const d = A[row * n + row];
    for (let k = 0; k < m; k++) {
      let v = X[row * m + k];
      for (let j = row + 1; j < n; j++) v -= A[row * n + j] * X[j * m + k];
      X[row * m + k] = v / d;
    }
  }
  return X;
}
