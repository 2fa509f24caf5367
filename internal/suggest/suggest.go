package suggest

import "strings"

// Closest returns the candidate nearest to name, ignoring case: an exact
// case-insensitive match first, else the candidate within maxDistance edits
// (Levenshtein distance in bytes) with the fewest, the earliest on a tie.
// It returns "" when no candidate is near enough.
func Closest(name string, candidates []string, maxDistance int) string {
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			return c
		}
	}
	lower := strings.ToLower(name)
	best, bestDist := "", maxDistance+1
	for _, c := range candidates {
		if len(c) >= len(lower)+bestDist || len(lower) >= len(c)+bestDist {
			continue // the distance is at least the difference in length
		}
		if d := Distance(lower, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b, counted in bytes.
func Distance(a, b string) int {
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
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
