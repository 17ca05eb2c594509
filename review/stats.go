package review

import "github.com/localoffer/localoffer/evidence"

// Agreement measures how often two raters gave the same score to the same
// items, over the three scores Yes, Partial and No.
type Agreement struct {
	// N is the number of items both scored; Agree how many got one score.
	N, Agree int
	// Percent is the observed agreement, 0 to 1.
	Percent float64
	// Kappa is Cohen's kappa: agreement beyond what the raters' own score
	// frequencies would give by chance. It is undefined (KappaOK false)
	// when chance agreement is total, e.g. both raters always said Yes.
	Kappa   float64
	KappaOK bool
	// AC1 is Gwet's first-order agreement coefficient, whose chance term
	// does not blow up when one score dominates, so it stays stable where
	// kappa swings (the "kappa paradox").
	AC1   float64
	AC1OK bool
}

var categories = []evidence.Score{evidence.Yes, evidence.Partial, evidence.No}

// agreement computes percent agreement, Cohen's kappa and Gwet's AC1 over
// pairs of scores (rater one, rater two). Pairs with an invalid score are
// skipped.
func agreement(pairs [][2]evidence.Score) Agreement {
	var a Agreement
	n1 := map[evidence.Score]float64{}
	n2 := map[evidence.Score]float64{}
	for _, p := range pairs {
		if !p[0].Valid() || !p[1].Valid() {
			continue
		}
		a.N++
		if p[0] == p[1] {
			a.Agree++
		}
		n1[p[0]]++
		n2[p[1]]++
	}
	if a.N == 0 {
		return a
	}
	n := float64(a.N)
	po := float64(a.Agree) / n
	a.Percent = po
	var pe, pg float64
	for _, k := range categories {
		p1, p2 := n1[k]/n, n2[k]/n
		pe += p1 * p2
		pi := (p1 + p2) / 2
		pg += pi * (1 - pi)
	}
	pg /= float64(len(categories) - 1)
	if pe < 1-1e-12 {
		a.Kappa, a.KappaOK = (po-pe)/(1-pe), true
	}
	if pg < 1-1e-12 {
		a.AC1, a.AC1OK = (po-pg)/(1-pg), true
	}
	return a
}
