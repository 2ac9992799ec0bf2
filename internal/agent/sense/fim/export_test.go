package fim

// SetMaxInodeMarks bounds the fanotify inode marks of the sensor's next
// Run, as if the kernel's limit were reached there.
func SetMaxInodeMarks(s *Sensor, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxInodeMarks = n
}

// HoldNotices stops the sensor's handling of notices until release is
// called: its sources block on the full channel and stop reading, and
// the kernel's queue fills.
func HoldNotices(s *Sensor) (release func()) {
	s.hold.Lock()
	return s.hold.Unlock
}
