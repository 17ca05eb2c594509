package config

import "testing"

func TestDefaults(t *testing.T) {
	c := Default()
	if len(c.Authorities) != 24 {
		t.Fatalf("authorities = %d, want 24", len(c.Authorities))
	}
	r := DefaultRubric()
	if n := len(r.Subsections()); n != 13 {
		t.Fatalf("subsections = %d, want 13", n)
	}
}
