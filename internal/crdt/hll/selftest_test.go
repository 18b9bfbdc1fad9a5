package hll

import "testing"

func TestSelfTest(t *testing.T) {
	if err := SelfTest(3000); err != nil {
		t.Fatal(err)
	}
}
