package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

type rawBodyKey struct{}

// captureRawBody is an SDK stack option that keeps a copy of each successful
// response body in the operation's result metadata. It sits just inside the
// operation's deserializer, so it sees the body of exactly the attempt that
// the SDK accepted, retries included.
func captureRawBody(stack *middleware.Stack) error {
	return stack.Deserialize.Insert(middleware.DeserializeMiddlewareFunc("archiver.CaptureRawBody",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if err != nil {
				return out, md, err
			}
			resp, ok := out.RawResponse.(*smithyhttp.Response)
			if !ok || resp.StatusCode < 200 || resp.StatusCode > 299 || resp.Body == nil {
				return out, md, err
			}
			// Sized from Content-Length when the server sent one, so the copy
			// is made in one allocation.
			size := int64(4096)
			if resp.ContentLength > 0 && resp.ContentLength < 64<<20 {
				size = resp.ContentLength + 1
			}
			buf := bytes.NewBuffer(make([]byte, 0, size))
			resp.Body = readCloser{io.TeeReader(resp.Body, buf), resp.Body}
			md.Set(rawBodyKey{}, buf)
			return out, md, err
		}), "OperationDeserializer", middleware.After)
}

type readCloser struct {
	io.Reader
	io.Closer
}

// rawPage is the part of a list response that archiver keeps: the items as
// exact bytes.
type rawPage struct {
	Items []json.RawMessage
}

// decodeRawPage reads the raw body captured for one call and returns the
// items of its list member ("items", "JobListEntries"...) as the exact bytes
// received. want is the number of items the SDK decoded from the same bytes,
// as a cross-check.
//
// Each item is valid JSON: the SDK's decoder accepted the whole body before
// this runs, and splitMember cuts out exactly the bytes encoding/json gives
// for each element (FuzzSplitMember holds it to that). So items need not be
// validated again before they are archived.
func decodeRawPage(op string, md middleware.Metadata, member string, want int) (rawPage, error) {
	buf, ok := md.Get(rawBodyKey{}).(*bytes.Buffer)
	if !ok {
		return rawPage{}, fmt.Errorf("%s: no raw response body was captured", op)
	}
	items, err := splitMember(buf.Bytes(), member)
	if err != nil {
		return rawPage{}, fmt.Errorf("%s: response body: %w", op, err)
	}
	p := rawPage{Items: make([]json.RawMessage, len(items))}
	for i, it := range items {
		p.Items[i] = it
	}
	if len(p.Items) != want {
		return rawPage{}, fmt.Errorf("%s: raw body has %d items but the SDK decoded %d", op, len(p.Items), want)
	}
	for i, it := range p.Items {
		if len(it) == 0 || it[0] != '{' {
			return rawPage{}, fmt.Errorf("%s: item %d is not a JSON object", op, i)
		}
	}
	return p, nil
}
