passwd	after=files	rjh
group	after=files	rjh
