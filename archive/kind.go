package archive

import (
	"fmt"
	"strings"
)

// Kind names the AWS object type of a record.
type Kind string

// The record kinds archiver keeps.
const (
	KindDRSJob          Kind = "drs.job"
	KindDRSJobLogItem   Kind = "drs.jobLogItem"
	KindDRSSourceServer Kind = "drs.sourceServer"
	KindSnowballJob     Kind = "snowball.clusterJob"
	KindSMSJob          Kind = "sms.replicationJob"
	// KindDRSStagingAccount is a staging account DRS lists for extended
	// source servers (ListStagingAccounts), observed like a source server.
	KindDRSStagingAccount Kind = "drs.stagingAccount"
	// KindDRSRecoverySnapshot is a point-in-time snapshot of a source server
	// (DescribeRecoverySnapshots), kept once by its snapshotID: snapshots
	// never change once taken.
	KindDRSRecoverySnapshot Kind = "drs.recoverySnapshot"
	// KindDRSRecoveryInstance is a recovery instance launched by a drill or
	// recovery job (DescribeRecoveryInstances), observed like a source
	// server.
	KindDRSRecoveryInstance Kind = "drs.recoveryInstance"
)

// Kinds lists every kind in the order exports present them.
var Kinds = []Kind{KindDRSJob, KindDRSJobLogItem, KindDRSSourceServer, KindDRSStagingAccount, KindDRSRecoverySnapshot, KindDRSRecoveryInstance, KindSnowballJob, KindSMSJob}

// ParseKind validates a kind name given by a user.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown kind %q (want one of %s)", s, strings.Join(names, ", "))
}
