package layer

// DropoutKeeps lets the external tests build dropout's reference from the
// mask definition.
func DropoutKeeps(l *Dropout, step int64, sample, elem int) bool {
	return l.keeps(step, sample, elem)
}
