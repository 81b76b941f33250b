package kinds

import "testing"

func TestCarriesRawError(t *testing.T) {
	cases := []struct {
		data string
		want bool
	}{
		{`{"event":"LAUNCH_FAILED","eventData":{"rawError":"InsufficientInstanceCapacity"}}`, true},
		{`{"event":"LAUNCH_START","eventData":{"rawError":""}}`, false},
		{`{"event":"LAUNCH_START","eventData":{}}`, false},
		{`{"eventData": {"rawError" :  "timed out"}}`, true},
		{`{"eventData":{"rawError":null}}`, false},
		{`{"eventData":{"rawError":"","other":{"rawError":"later"}}}`, true},
		{`{"message":"\"rawError\":\"in a string\""}`, false},
		{`{"rawError"`, false},
		{`{"rawError":"`, false},
		{``, false},
	}
	for _, c := range cases {
		if got := carriesRawError([]byte(c.data)); got != c.want {
			t.Errorf("%s: %v, want %v", c.data, got, c.want)
		}
	}
	if Of(DRSJobLogItem).StoreAlone == nil {
		t.Errorf("DRS log items carrying an error are not stored alone")
	}
}
