package fim

// SetMaxInodeMarks bounds the fanotify inode marks of the sensor's next
// Run, as if the kernel's limit were reached there.
func SetMaxInodeMarks(s *Sensor, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxInodeMarks = n
}
