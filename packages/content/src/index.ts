// Public door of @atelier/content: object storage drivers, the content layout and workspace archives.
export type { OpenArchiveOptions, StoreArchiveOptions, StoredArchive } from './archive/archive.js';
export { openArchive, storeArchive } from './archive/archive.js';
export type { ZstdCompressOptions, ZstdOptions } from './archive/zstd.js';
export { zstdCompress, zstdDecompress } from './archive/zstd.js';
export { backupKey, userBucket } from './layout.js';
export type { FsObjectStorageOptions } from './storage/fs.js';
export { FsObjectStorage } from './storage/fs.js';
export { checkBucket, checkKey, checkMetadata, checkPrefix } from './storage/names.js';
export type {
  ByteRange,
  DeleteBucketOptions,
  GetOptions,
  ListedObject,
  ObjectInfo,
  ObjectMetadata,
  ObjectStorage,
  PutOptions,
  PutResult,
} from './storage/types.js';
