module github.com/mariana-dl/mariana

go 1.26
