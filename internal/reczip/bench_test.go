package reczip

import "testing"

func BenchmarkAppendStored(b *testing.B) {
	_, zt := table(b)
	vals := samples(b, 1000)
	var dst []byte
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		dst, _, err = zt.AppendStored(dst[:0], 1, vals[i%len(vals)])
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLogical(b *testing.B) {
	_, zt := table(b)
	vals := samples(b, 1000)
	var stored [][]byte
	for _, v := range vals {
		sv, _, _ := zt.AppendStored(nil, 1, v)
		stored = append(stored, sv)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := zt.Logical(stored[i%len(stored)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewCodec(b *testing.B) {
	d, err := Train(samples(b, 4000), 1)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := newCodec(1, d); err != nil {
			b.Fatal(err)
		}
	}
}
