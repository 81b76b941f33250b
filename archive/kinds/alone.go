package kinds

import "bytes"

// carriesRawError reports whether the JSON object data has a rawError
// member (wherever it stands, as eventData holds it) whose value is a
// string that is not empty. It only looks for the member's name, quoted:
// inside a string value the quotes would be escaped.
func carriesRawError(data []byte) bool {
	const name = `"rawError"`
	for rest := data; ; {
		i := bytes.Index(rest, []byte(name))
		if i < 0 {
			return false
		}
		rest = bytes.TrimLeft(rest[i+len(name):], " \t\r\n")
		if len(rest) == 0 || rest[0] != ':' {
			continue
		}
		v := bytes.TrimLeft(rest[1:], " \t\r\n")
		if len(v) > 1 && v[0] == '"' && v[1] != '"' {
			return true
		}
	}
}
