/**
 * A small append-only builder for ONNX graphs on top of the `onnx-proto` protobuf classes. Node
 * and value names come from a counter, so the same sequence of calls gives the same bytes.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** Attribute values: an integer, a list of integers, or a float (written with `{ float: x }`). */
export type AttributeValue = number | number[] | { float: number };

/** ONNX tensor element types used by the generator. */
export const ElemType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

/** A graph input or output: name, element type and dims (a string is a symbolic dim). */
export interface TensorSpec {
  name: string;
  elemType: number;
  dims: Array<string | number>;
}

/** Options of {@link OnnxGraphBuilder.toBytes}. */
export interface ModelSpec {
  graphName: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  opset: number;
  /** Extra opset imports, e.g. `{ 'com.microsoft': 1 }`. */
  extraOpsets?: Record<string, number>;
  producerName: string;
  producerVersion: string;
}

function attribute(name: string, value: AttributeValue): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  return { name, type: T.FLOAT, f: value.float };
}

function valueInfo(spec: TensorSpec): ValueInfoProto {
  const dim = spec.dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name: spec.name, type: { tensorType: { elemType: spec.elemType, shape: { dim } } } };
}

function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Collects nodes and initializers, then serialises one `ModelProto`. */
export class OnnxGraphBuilder {
  readonly #nodes: NodeProto[] = [];
  readonly #initializers: TensorProto[] = [];
  #counter = 0;

  /** Adds a node with one output and returns the output's name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttributeValue> = {}, domain = ''): string {
    const [out] = this.opMulti(opType, inputs, 1, attrs, domain);
    return out as string;
  }

  /** Adds a node with `outputCount` outputs and returns their names. */
  opMulti(opType: string, inputs: string[], outputCount: number, attrs: Record<string, AttributeValue> = {}, domain = ''): string[] {
    const id = this.#counter++;
    const output = Array.from({ length: outputCount }, (_, i) => `${opType}_${id}_out${i}`);
    const attribute_ = Object.entries(attrs).map(([k, v]) => attribute(k, v));
    this.#nodes.push({ name: `${opType}_${id}`, opType, input: inputs, output, attribute: attribute_, domain });
    return output;
  }

  /** Adds a float initializer and returns its name. */
  floatTensor(name: string, dims: number[], data: Float32Array): string {
    return this.#raw(name, dims, ElemType.FLOAT, data);
  }

  /** Adds an int64 initializer (small shape or index constants) and returns its name. */
  int64Tensor(name: string, dims: number[], values: number[]): string {
    return this.#raw(
      name,
      dims,
      ElemType.INT64,
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
  }

  /** Adds an int8 initializer and returns its name. */
  int8Tensor(name: string, dims: number[], data: Int8Array): string {
    return this.#raw(name, dims, ElemType.INT8, data);
  }

  /** Adds a uint8 initializer and returns its name. */
  uint8Tensor(name: string, dims: number[], data: Uint8Array): string {
    return this.#raw(name, dims, ElemType.UINT8, data);
  }

  #raw(name: string, dims: number[], dataType: number, data: ArrayBufferView): string {
    this.#initializers.push({ name, dims, dataType, rawData: bytesOf(data) });
    return name;
  }

  /** Renames the output of the most recent node (to give a graph output its public name). */
  renameLastOutput(name: string): string {
    const last = this.#nodes[this.#nodes.length - 1];
    if (last?.output?.length !== 1) throw new Error('renameLastOutput needs a last node with one output');
    last.output[0] = name;
    return name;
  }

  /** Serialises the model to protobuf bytes. */
  toBytes(spec: ModelSpec): Uint8Array {
    const opsetImport = [{ domain: '', version: spec.opset }];
    for (const [domain, version] of Object.entries(spec.extraOpsets ?? {})) opsetImport.push({ domain, version });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport,
      producerName: spec.producerName,
      producerVersion: spec.producerVersion,
      graph: {
        name: spec.graphName,
        node: this.#nodes,
        initializer: this.#initializers,
        input: spec.inputs.map(valueInfo),
        output: spec.outputs.map(valueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
