package spec

import "testing"

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"kernel", "kernel", 0},
		{"", "abc", 3},
		{"kernal", "kernel", 1},
		{"kernle", "kernel", 1}, // a swap counts once
		{"stride", "strides", 1},
		{"lr", "momentum", 8},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"kernel", "kernel_h", "kernel_w", "stride", "average", "lr"}
	tests := []struct{ word, want string }{
		{"kernal", "kernel"},
		{"kernel_hh", "kernel_h"},
		{"strde", "stride"},
		{"ave", "average"}, // a prefix
		{"l", "lr"},
		{"q", ""},
		{"momentum", ""},
		{"xyz", ""},
	}
	for _, tt := range tests {
		if got := closest(tt.word, keys); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}
