//go:build !race

package peoplecsv_test

const raceEnabled = false
