module gmpsim/validation/go

go 1.19
