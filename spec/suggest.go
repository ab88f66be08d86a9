package spec

import "strings"

// closest returns the candidate a mistyped word most likely meant, or "" when
// none is close: within an edit distance of a third of the word's length
// (at least 1, at most 3), or one a prefix of the other ("ave" for
// "average"). Ties go to the earlier candidate.
func closest(word string, candidates []string) string {
	budget := min(max(len(word)/3, 1), 3)
	best, bestDist := "", budget+1
	for _, c := range candidates {
		d := editDistance(word, c)
		if len(word) >= 2 && (strings.HasPrefix(c, word) || strings.HasPrefix(word, c)) {
			d = min(d, budget)
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counting a swap
// of neighbours as one edit (the restricted Damerau form), since swapped
// letters are the commonest typo.
func editDistance(a, b string) int {
	// Three rolling rows: the swap looks two rows back.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
