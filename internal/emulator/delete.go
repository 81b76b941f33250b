package emulator

import (
	"fmt"
	"slices"
)

// removed keeps what the Delete methods took out of the history, by ID, so
// that Restore can put it back.
type removed map[string]func(h *history)

// DeleteJob removes the DRS job jobID and its log from the history, as the
// DeleteJob API does: later listings no longer hold it. Like the API, it
// refuses a job that has not ended.
func (s *Server) DeleteJob(jobID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.h
	j, ok := h.jobByID[jobID]
	if !ok {
		return fmt.Errorf("delete job %s: no such job", jobID)
	}
	if !j.done() {
		return fmt.Errorf("delete job %s: the job has not ended", jobID)
	}
	h.jobs = slices.DeleteFunc(h.jobs, func(x *job) bool { return x == j })
	delete(h.jobByID, jobID)
	h.stash(jobID, func(h *history) { h.addJob(j) })
	h.refresh()
	return nil
}

// DeleteSourceServer removes the source server serverID from the history,
// as the DeleteSourceServer API does.
func (s *Server) DeleteSourceServer(serverID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.h
	sv, ok := h.serverByID[serverID]
	if !ok {
		return fmt.Errorf("delete source server %s: no such server", serverID)
	}
	h.servers = slices.DeleteFunc(h.servers, func(x *server) bool { return x == sv })
	delete(h.serverByID, serverID)
	h.stash(serverID, func(h *history) {
		i, _ := slices.BinarySearchFunc(h.servers, sv.id, func(x *server, id string) int {
			switch {
			case x.id < id:
				return -1
			case x.id > id:
				return 1
			}
			return 0
		})
		h.servers = slices.Insert(h.servers, i, sv)
		h.serverByID[sv.id] = sv
	})
	h.refresh()
	return nil
}

// DeleteSnowballJob removes the Snowball job jobID from its cluster's
// listing.
func (s *Server) DeleteSnowballJob(jobID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.h
	for _, c := range h.snow.clusters {
		i := slices.IndexFunc(c.jobs, func(j *snowJob) bool { return j.id == jobID })
		if i < 0 {
			continue
		}
		put := cut(&c.jobs, i)
		h.stash(jobID, func(*history) { put() })
		h.snow.render()
		return nil
	}
	return fmt.Errorf("delete Snowball job %s: no such job", jobID)
}

// DeleteCluster removes the Snowball cluster clusterID, jobs and all, from
// the history: ListClusters no longer lists it.
func (s *Server) DeleteCluster(clusterID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.h
	c, ok := h.snow.byID[clusterID]
	if !ok {
		return fmt.Errorf("delete cluster %s: no such cluster", clusterID)
	}
	put := cut(&h.snow.clusters, slices.Index(h.snow.clusters, c))
	delete(h.snow.byID, clusterID)
	h.stash(clusterID, func(h *history) {
		put()
		h.snow.byID[c.id] = c
	})
	return nil
}

// DeleteReplicationJob removes the SMS replication job jobID, runs and all,
// from the history, as the DeleteReplicationJob API does.
func (s *Server) DeleteReplicationJob(jobID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.h
	j, ok := h.sms.byID[jobID]
	if !ok {
		return fmt.Errorf("delete replication job %s: no such job", jobID)
	}
	put := cut(&h.sms.jobs, slices.Index(h.sms.jobs, j))
	delete(h.sms.byID, jobID)
	h.stash(jobID, func(h *history) {
		put()
		h.sms.byID[j.id] = j
	})
	return nil
}

// Restore puts back an object one of the Delete methods removed, with the
// same ID, as if it had been created again: later listings hold it.
func (s *Server) Restore(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.h
	put, ok := h.removed[id]
	if !ok {
		return fmt.Errorf("restore %s: nothing of that ID was deleted", id)
	}
	delete(h.removed, id)
	put(h)
	h.refresh()
	h.snow.render()
	h.sms.render()
	return nil
}

// stash keeps how to put back what was removed under id.
func (h *history) stash(id string, put func(h *history)) {
	if h.removed == nil {
		h.removed = removed{}
	}
	h.removed[id] = put
}

// cut removes the element at i from *list and returns what puts it back at
// the same place (or at the end, if the list has shrunk since).
func cut[T any](list *[]T, i int) (put func()) {
	x := (*list)[i]
	*list = slices.Delete(*list, i, i+1)
	return func() { *list = slices.Insert(*list, min(i, len(*list)), x) }
}
