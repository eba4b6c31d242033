package console

// BuildReport builds the funnel report without the page's cache, for
// BenchmarkPages (the page itself rebuilds at most once a second).
func (c *Console) BuildReport() error {
	_, err := c.buildReport()
	return err
}
