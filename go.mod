module github.com/concord-db/concord

go 1.26
