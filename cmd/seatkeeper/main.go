package main
import (
 _ "modernc.org/sqlite"
 _ "github.com/jackc/pgx/v5/stdlib"
 _ "github.com/prometheus/client_golang/prometheus"
)
func main(){}
