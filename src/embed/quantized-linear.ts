/**
 * A {@link LinearWriter} that writes what ONNX Runtime's `quantize_dynamic` produces for a MatMul:
 * int8 weights with one scale per output column, activations quantized to uint8 at run time
 * (DynamicQuantizeLinear), MatMulInteger, then rescale to float and add the fp32 bias.
 */
import type { LinearWriter } from './bert-graph.js';

/** Per-column symmetric int8 quantisation of `w [rows, cols]`. */
export function quantizePerColumn(w: Float32Array, rows: number, cols: number): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) scales[c] = Math.max(scales[c] as number, Math.abs(w[r * cols + c] as number));
  }
  for (let c = 0; c < cols; c++) scales[c] = (scales[c] as number) / 127 || 1;
  const q = new Int8Array(rows * cols);
  for (let i = 0; i < q.length; i++) {
    q[i] = Math.max(-127, Math.min(127, Math.round((w[i] as number) / (scales[i % cols] as number))));
  }
  return { q, scales };
}

/** Dynamic int8 linear layer with the same weights as the fp32 one. */
export const quantizedLinear: LinearWriter = (g, x, name, w, b, dims) => {
  const [rows, cols] = dims;
  const { q, scales } = quantizePerColumn(w, rows, cols);
  const weight = g.int8Tensor(`${name}.weight_quantized`, dims, q);
  const weightScale = g.floatTensor(`${name}.weight_scale`, [cols], scales);
  const weightZero = g.int8Tensor(`${name}.weight_zero_point`, [cols], new Int8Array(cols));
  const bias = g.floatTensor(`${name}.bias`, [cols], b);
  const [xq, xScale, xZero] = g.opMulti('DynamicQuantizeLinear', [x], 3) as [string, string, string];
  const product = g.op('MatMulInteger', [xq, weight, xZero, weightZero]);
  const asFloat = g.op('Cast', [product], { to: 1 });
  const scale = g.op('Mul', [xScale, weightScale]);
  return g.op('Add', [g.op('Mul', [asFloat, scale]), bias]);
};
