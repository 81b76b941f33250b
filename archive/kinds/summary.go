package kinds

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The summaries of each kind. Decoding is lenient: a member of an
// unexpected type is left empty, the others are still read (unmarshal
// errors are ignored on purpose).

func drsJobSummary(id string, data []byte) Summary {
	var d struct {
		Status               string `json:"status"`
		InitiatedBy          string `json:"initiatedBy"`
		ParticipatingServers []struct {
			SourceServerID string `json:"sourceServerID"`
			LaunchStatus   string `json:"launchStatus"`
		} `json:"participatingServers"`
	}
	_ = json.Unmarshal(data, &d)
	s := Summary{Job: id, What: joinNonEmpty(d.Status, d.InitiatedBy)}
	var servers, statuses []string
	for _, p := range d.ParticipatingServers {
		if p.SourceServerID != "" {
			servers = append(servers, p.SourceServerID)
		}
		statuses = append(statuses, p.LaunchStatus)
	}
	s.Servers = strings.Join(servers, " ")
	if len(servers) > 0 {
		s.Server = servers[0]
		if len(servers) > 1 {
			s.Server += " +" + strconv.Itoa(len(servers)-1)
		}
	}
	s.Message = LaunchSummary(statuses)
	return s
}

func drsLogItemSummary(_ string, data []byte) Summary {
	var d struct {
		Event     string `json:"event"`
		EventData struct {
			SourceServerID string `json:"sourceServerID"`
			RawError       string `json:"rawError"`
		} `json:"eventData"`
	}
	_ = json.Unmarshal(data, &d)
	return Summary{Server: d.EventData.SourceServerID, What: d.Event, Message: d.EventData.RawError}
}

func drsSourceServerSummary(id string, data []byte) Summary {
	var d struct {
		SourceServerID      string `json:"sourceServerID"`
		DataReplicationInfo struct {
			DataReplicationState string `json:"dataReplicationState"`
			DataReplicationError struct {
				Error    string `json:"error"`
				RawError string `json:"rawError"`
			} `json:"dataReplicationError"`
		} `json:"dataReplicationInfo"`
		LifeCycle struct {
			LastLaunch struct {
				Initiated struct {
					JobID string `json:"jobID"`
				} `json:"initiated"`
			} `json:"lastLaunch"`
		} `json:"lifeCycle"`
	}
	_ = json.Unmarshal(data, &d)
	info := d.DataReplicationInfo
	return Summary{
		Job:     d.LifeCycle.LastLaunch.Initiated.JobID,
		Server:  firstNonEmpty(id, d.SourceServerID),
		What:    info.DataReplicationState,
		Message: firstNonEmpty(info.DataReplicationError.RawError, info.DataReplicationError.Error),
	}
}

func recoverySnapshotSummary(id string, data []byte) Summary {
	var d struct {
		SnapshotID     string   `json:"snapshotID"`
		SourceServerID string   `json:"sourceServerID"`
		EBSSnapshots   []string `json:"ebsSnapshots"`
	}
	_ = json.Unmarshal(data, &d)
	return Summary{ID: firstNonEmpty(id, d.SnapshotID), Server: d.SourceServerID,
		Message: fmt.Sprintf("%d EBS snapshots", len(d.EBSSnapshots))}
}

func recoveryInstanceSummary(id string, data []byte) Summary {
	var d struct {
		RecoveryInstanceID string `json:"recoveryInstanceID"`
		SourceServerID     string `json:"sourceServerID"`
		JobID              string `json:"jobID"`
		EC2InstanceState   string `json:"ec2InstanceState"`
		IsDrill            bool   `json:"isDrill"`
	}
	_ = json.Unmarshal(data, &d)
	kind := "recovery"
	if d.IsDrill {
		kind = "drill"
	}
	return Summary{ID: firstNonEmpty(id, d.RecoveryInstanceID), Job: d.JobID, Server: d.SourceServerID,
		What: d.EC2InstanceState, Message: kind + " instance"}
}

func snowballJobSummary(id string, data []byte) Summary {
	var d struct {
		JobID       string `json:"JobId"`
		JobState    string `json:"JobState"`
		Description string `json:"Description"`
	}
	_ = json.Unmarshal(data, &d)
	return Summary{Job: firstNonEmpty(d.JobID, id), What: d.JobState, Message: d.Description}
}

func smsJobSummary(id string, data []byte) Summary {
	var d struct {
		ReplicationJobID string `json:"replicationJobId"`
		ServerID         string `json:"serverId"`
		State            string `json:"state"`
		StatusMessage    string `json:"statusMessage"`
	}
	_ = json.Unmarshal(data, &d)
	return Summary{Job: firstNonEmpty(d.ReplicationJobID, id), Server: d.ServerID, What: d.State, Message: d.StatusMessage}
}

func launchConfigurationSummary(id string, data []byte) Summary {
	var d struct {
		SourceServerID string `json:"sourceServerID"`
		Disposition    string `json:"launchDisposition"`
		RightSizing    string `json:"targetInstanceTypeRightSizingMethod"`
		CopyPrivateIP  bool   `json:"copyPrivateIp"`
		CopyTags       bool   `json:"copyTags"`
	}
	_ = json.Unmarshal(data, &d)
	msg := []string{"right-sizing " + strings.ToLower(firstNonEmpty(d.RightSizing, "unknown"))}
	if d.CopyPrivateIP {
		msg = append(msg, "copies private IP")
	}
	if d.CopyTags {
		msg = append(msg, "copies tags")
	}
	return Summary{ID: firstNonEmpty(id, d.SourceServerID), Server: firstNonEmpty(id, d.SourceServerID), What: d.Disposition,
		Message: strings.Join(msg, ", ")}
}

func replicationConfigurationSummary(id string, data []byte) Summary {
	var d struct {
		SourceServerID string `json:"sourceServerID"`
		InstanceType   string `json:"replicationServerInstanceType"`
		Throttling     int64  `json:"bandwidthThrottling"`
		PitPolicy      []struct {
			Enabled *bool `json:"enabled"`
		} `json:"pitPolicy"`
	}
	_ = json.Unmarshal(data, &d)
	rules := 0
	for _, r := range d.PitPolicy {
		if r.Enabled == nil || *r.Enabled {
			rules++
		}
	}
	limit := "no bandwidth limit"
	if d.Throttling > 0 {
		limit = fmt.Sprintf("bandwidth %d Mbps", d.Throttling)
	}
	return Summary{ID: firstNonEmpty(id, d.SourceServerID), Server: firstNonEmpty(id, d.SourceServerID), What: d.InstanceType,
		Message: fmt.Sprintf("%d point-in-time rules, %s", rules, limit)}
}

func sourceNetworkSummary(id string, data []byte) Summary {
	var d struct {
		SourceNetworkID string `json:"sourceNetworkID"`
		Status          string `json:"replicationStatus"`
		Details         string `json:"replicationStatusDetails"`
		VpcID           string `json:"sourceVpcID"`
		Region          string `json:"sourceRegion"`
	}
	_ = json.Unmarshal(data, &d)
	msg := d.Details
	if msg == "" && d.VpcID != "" {
		msg = strings.TrimSpace(d.VpcID + " " + d.Region)
	}
	return Summary{ID: firstNonEmpty(id, d.SourceNetworkID), What: d.Status, Message: msg}
}

// launchOrder gives the order and wording of the launch statuses in a job's
// summary: outcomes first, since they are what a reader looks for.
var launchOrder = []struct{ status, word string }{
	{"LAUNCHED", "launched"},
	{"FAILED", "failed"},
	{"IN_PROGRESS", "in progress"},
	{"PENDING", "pending"},
	{"TERMINATED", "terminated"},
}

// LaunchSummary counts launch statuses: "3 launched, 1 failed". Statuses
// unknown to launchOrder follow, lower-cased, in order of appearance, so
// that a status AWS adds later is still counted.
func LaunchSummary(statuses []string) string {
	counts := map[string]int{}
	var others []string
	for _, s := range statuses {
		if s == "" {
			continue
		}
		if counts[s] == 0 && !isKnownLaunchStatus(s) {
			others = append(others, s)
		}
		counts[s]++
	}
	var parts []string
	for _, l := range launchOrder {
		if n := counts[l.status]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, l.word))
		}
	}
	for _, s := range others {
		parts = append(parts, fmt.Sprintf("%d %s", counts[s], strings.ToLower(strings.ReplaceAll(s, "_", " "))))
	}
	return strings.Join(parts, ", ")
}

func isKnownLaunchStatus(s string) bool {
	for _, l := range launchOrder {
		if l.status == s {
			return true
		}
	}
	return false
}

func joinNonEmpty(ss ...string) string {
	var parts []string
	for _, s := range ss {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
