package report

// MonthSpend is what a pool costs in one calendar month of a period.
type MonthSpend struct {
	Month string  `json:"month"` // YYYY-MM
	Days  float64 `json:"days"`  // days of the month paid for
	Spend float64 `json:"spend"`
}
