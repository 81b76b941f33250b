package archive

import "github.com/archiver-dev/archiver/archive/kinds"

// Kind names the AWS object type of a record; package kinds declares every
// kind and what differs between them.
type Kind = kinds.Kind
