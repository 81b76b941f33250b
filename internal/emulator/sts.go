package emulator

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// stsVersion is the API version STS requests name.
const stsVersion = "2011-06-15"

// callerName is the IAM user every emulated account answers
// GetCallerIdentity for.
const callerName = "archiver-test"

// getCallerIdentity renders the GetCallerIdentity answer of the account of
// o, as STS sends it.
func getCallerIdentity(o Options, reqID string) []byte {
	var b strings.Builder
	b.WriteString(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">` + "\n  <GetCallerIdentityResult>\n    <Arn>")
	xmlText(&b, "arn:aws:iam::"+o.Account+":user/"+callerName)
	b.WriteString("</Arn>\n    <UserId>")
	xmlText(&b, callerUserID(o.Account))
	b.WriteString("</UserId>\n    <Account>")
	xmlText(&b, o.Account)
	b.WriteString("</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>")
	xmlText(&b, reqID)
	b.WriteString("</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n")
	return []byte(b.String())
}

// callerUserID derives the unique ID of the IAM user of account, in the
// form IAM gives users: AIDA and 17 upper-case letters and digits.
func callerUserID(account string) string {
	sum := sha256.Sum256([]byte("user/" + callerName + "@" + account))
	return "AIDA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}
