import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { decompress as lz4FrameDecompress } from 'lz4js';
import { uncompress as snappyUncompress } from 'snappyjs';

/** The codec numbers of a record batch's attributes (bits 0-2). */
export const CODEC = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export function codecName(codec: number): string {
  return CODEC_NAMES[codec] ?? `codec ${codec}`;
}

// The Java client writes snappy in snappy-java's stream format: this magic, a version and a
// compatible version (int32 each), then blocks each prefixed by its compressed length.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;

function snappy(body: Buffer): Buffer {
  if (body.length < XERIAL_HEADER || XERIAL_MAGIC.compare(body, 0, XERIAL_MAGIC.length) !== 0) {
    return Buffer.from(snappyUncompress(body));
  }
  const blocks: Buffer[] = [];
  for (let pos = XERIAL_HEADER; pos < body.length;) {
    if (pos + 4 > body.length) throw new Error('snappy stream cut inside a block length');
    const length = body.readInt32BE(pos);
    pos += 4;
    if (length < 0 || pos + length > body.length) throw new Error('snappy stream block overruns the batch');
    blocks.push(Buffer.from(snappyUncompress(body.subarray(pos, pos + length))));
    pos += length;
  }
  return Buffer.concat(blocks);
}

/**
 * The records section of a compressed batch, uncompressed. gzip and zstd are node's own zlib;
 * snappy (raw, or the Java client's stream format) and lz4 (the frame format, as Kafka has written
 * it since magic 1) are pure JavaScript. Throws with the codec's name when the bytes do not decode.
 */
export function decompressRecords(codec: number, body: Buffer): Buffer {
  try {
    switch (codec) {
      case CODEC.gzip:
        return gunzipSync(body);
      case CODEC.snappy:
        return snappy(body);
      case CODEC.lz4:
        return Buffer.from(lz4FrameDecompress(body));
      case CODEC.zstd:
        return zstdDecompressSync(body);
    }
  } catch (e) {
    throw new Error(`${codecName(codec)} does not decompress: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  throw new Error(`unknown compression codec ${codec}`);
}
