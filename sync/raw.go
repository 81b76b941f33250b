package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/aws/smithy-go"
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

// markBadAnswers is an SDK stack option that turns the error of a 2xx
// answer the SDK could not decode into a *badAnswerError, carrying the
// answer's Content-Type and what was read of its body (all of it when
// captureRawBody is in the stack too), so that callError can say what came
// instead of the answer. It wraps the operation's deserializer.
func markBadAnswers(stack *middleware.Stack) error {
	return stack.Deserialize.Insert(middleware.DeserializeMiddlewareFunc("archiver.MarkBadAnswers",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			var de *smithy.DeserializationError
			if err == nil || !errors.As(err, &de) {
				return out, md, err
			}
			resp, ok := out.RawResponse.(*smithyhttp.Response)
			if !ok || resp.StatusCode < 200 || resp.StatusCode > 299 {
				return out, md, err
			}
			body := de.Snapshot
			if buf, ok := md.Get(rawBodyKey{}).(*bytes.Buffer); ok {
				body = buf.Bytes()
			}
			return out, md, &badAnswerError{contentType: resp.Header.Get("Content-Type"), body: body, err: err}
		}), "OperationDeserializer", middleware.Before)
}

type readCloser struct {
	io.Reader
	io.Closer
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
func decodeRawPage(md middleware.Metadata, member string, want int) ([]json.RawMessage, error) {
	buf, ok := md.Get(rawBodyKey{}).(*bytes.Buffer)
	if !ok {
		return nil, fmt.Errorf("no raw response body was captured")
	}
	items, err := splitMember(buf.Bytes(), member)
	if err != nil {
		return nil, fmt.Errorf("response body: %w", err)
	}
	out := make([]json.RawMessage, len(items))
	for i, it := range items {
		out[i] = it
	}
	if len(out) != want {
		return nil, fmt.Errorf("raw body has %d items but the SDK decoded %d", len(out), want)
	}
	for i, it := range out {
		if len(it) == 0 || it[0] != '{' {
			return nil, fmt.Errorf("the answer has the wrong shape: member %s[%d] is not an object", member, i)
		}
	}
	return out, nil
}
