// Package checkpoint saves and restores named float32 tensors in the
// safetensors format, so that other frameworks can read what Mariana
// trains.
//
// # Format
//
// A file is an 8-byte little-endian header length N, N bytes of JSON
// header, and the tensor data. The header maps each tensor name to its
// dtype, shape and byte range in the data ("data_offsets", relative to the
// end of the header), and "__metadata__" to a map of strings. Mariana
// writes the tensors in the order of [Checkpoint.Names], back to back, as
// little-endian float32 ("F32"), and pads the header with spaces so the
// data starts on an 8-byte boundary. [Read] accepts any file that follows
// the format with F32 tensors and checks it strictly: the header length
// against the file size, the JSON, the dtypes, the shapes against the byte
// ranges, and that the ranges tile the data exactly. Errors name the file,
// the tensor and the byte offset.
//
// # Durability
//
// [Write] never leaves a half-written checkpoint under the target name: it
// writes a temporary file in the same directory, syncs it, renames it over
// the target and syncs the directory, so after a crash at any moment the
// target is the old file or the new one, complete.
//
// # Checkpoint directories
//
// [Save] names checkpoints by step (ckpt-000001200.safetensors) and keeps
// the newest few; [Latest] returns the newest one that reads back valid and
// reports the newer ones it had to skip.
package checkpoint
