// Package checkpoint owns the signed checkpoints of the archive's
// transparency log: what they say, how they are signed and verified, and how
// a witness directory keeps them.
//
// Every write to the archive is a leaf of an RFC 6962 Merkle tree (package
// archive builds the tree). A checkpoint states the tree at one moment: its
// size (the number of leaves) and its root hash, under the log's origin. An
// auditor keeps the checkpoints outside the archive file, in a witness
// directory or anywhere else the archive's owner cannot rewrite. A later
// archive must contain every earlier checkpoint's tree as a prefix of its own
// (a consistency proof shows it); an insider who rewrites the file cannot
// also rewrite the checkpoints the auditor already holds, and is caught.
//
// # Terms
//
// A checkpoint body is the checkpoint's text in the C2SP tlog-checkpoint
// form (https://c2sp.org/tlog-checkpoint), each line ending in a newline:
//
//	<origin>
//	<tree size, in decimal without leading zeros>
//	<root hash, in standard base64 with padding>
//	<extension line>...
//
// The origin names the log and should be unique to it; extension lines are
// optional. No line may be empty or hold a control character; the text is
// UTF-8.
//
// Other terms:
//
//   - signed checkpoint: the body as the text of a signed note
//     (golang.org/x/mod/sumdb/note): the body, a blank line, then one line
//     per signature, "— <name> <base64(key hash || ed25519 signature)>".
//   - name: the signer's key name, part of every signature line and of the
//     verifier key "<name>+<hash>+<key>"; KeyName gives a default.
//   - witness directory: a directory of checkpoint files, one per tree state,
//     named <size, zero-padded to 20 digits>-<first 16 hex digits of the root
//     hash>.checkpoint. A file there is never replaced: a witness does not
//     rewrite history.
//
// The package is pure: it knows nothing of bbolt or of the archive, and
// reads and writes only the files of a witness directory.
package checkpoint
