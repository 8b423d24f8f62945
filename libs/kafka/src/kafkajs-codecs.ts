import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { CODEC, decompressRecords } from './compression';

// kafkajs reads only gzip by itself; any producer may write snappy, lz4 or zstd into our topics,
// and its consumers (the replays of rebuild and verify, the tools) must read those too. They
// share the fetcher's decompressors. Nothing of ours produces compressed batches through kafkajs.
function reader(codec: number) {
  return () => ({
    compress: () => Promise.reject(new Error('this client writes no compressed batches through kafkajs')),
    decompress: (buffer: Buffer) => Promise.resolve(decompressRecords(codec, buffer)),
  });
}

/**
 * Lets kafkajs read snappy, lz4 and zstd batches. Called by the replays (TopicReplayer), not at
 * load: registered in every process, it made kafkajs' admin deleteTopicRecords fail in
 * fold-position.int.spec.ts with "not the leader", for a reason not yet found.
 */
export function registerKafkajsCodecs(): void {
  CompressionCodecs[CompressionTypes.Snappy] = reader(CODEC.snappy);
  CompressionCodecs[CompressionTypes.LZ4] = reader(CODEC.lz4);
  CompressionCodecs[CompressionTypes.ZSTD] = reader(CODEC.zstd);
}
