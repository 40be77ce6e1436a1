# R's survey package on the benchmark's survey, timed step by step (run by run.py; needs r-base-core and
# r-cran-survey, and r-cran-mass for calibrate()).
#
#   Rscript bench/literacy/r_bench.R <folder with responses.csv and margins.csv> <relative tolerance>
#
# Writes r_estimates.csv (method, domain, estimate, se) and r_times.csv (step, wall and CPU seconds) into the
# folder.
# "rake" is R's rake() with control epsilon = the tolerance (relative, as kepu.literacy's --tolerance) and
# its own linearization; "calibrate" is calibrate(calfun = "raking") on the same margins.

suppressPackageStartupMessages(library(survey))
invisible(Sys.setlocale("LC_COLLATE", "C"))
args <- commandArgs(trailingOnly = TRUE)
folder <- args[1]
tolerance <- as.numeric(args[2])

times <- list()
cpu <- list()
timed <- function(step, expr) {
  t <- system.time(value <- expr)
  times[[step]] <<- t[["elapsed"]]
  cpu[[step]] <<- t[["user.self"]] + t[["sys.self"]]
  value
}

df <- timed("read_csv", read.csv(file.path(folder, "responses.csv"), encoding = "UTF-8",
                                 colClasses = c(respondent_id = "integer", stratum = "integer", psu = "integer",
                                                weight = "numeric", district = "character", sex = "character",
                                                age_group = "character", area = "character",
                                                education = "character", literate = "integer")))
for (v in c("district", "sex", "age_group", "area", "education")) df[[v]] <- factor(df[[v]])
df$ds <- factor(paste(df$district, df$sex, sep = "|"))
margins <- read.csv(file.path(folder, "margins.csv"), encoding = "UTF-8", stringsAsFactors = FALSE)
pop <- function(variable) {
  m <- margins[margins$variable == variable, ]
  if (variable == "district*sex") {
    parts <- do.call(rbind, strsplit(m$level, "|", fixed = TRUE))
    return(data.frame(district = parts[, 1], sex = parts[, 2], Freq = m$total))
  }
  out <- data.frame(level = m$level, Freq = m$total)
  names(out)[1] <- variable
  out
}
calibration_totals <- function() {
  mm <- model.matrix(~ ds + age_group + area + education, df[1:2, ])
  total_of <- function(v, level) margins$total[margins$variable == v & margins$level == level]
  out <- sum(margins$total[margins$variable == "age_group"])
  for (col in colnames(mm)[-1]) {
    for (v in c("ds", "age_group", "area", "education")) {
      if (startsWith(col, v)) {
        out <- c(out, total_of(if (v == "ds") "district*sex" else v, substring(col, nchar(v) + 1)))
        break
      }
    }
  }
  names(out) <- colnames(mm)
  out
}

rows <- list()
keep <- function(method, city, by) {
  rows[[length(rows) + 1]] <<- data.frame(method = method, domain = "", estimate = unname(coef(city)),
                                          se = unname(as.vector(SE(city))))
  rows[[length(rows) + 1]] <<- data.frame(method = method, domain = as.character(by$district),
                                          estimate = coef(by), se = SE(by))
}

des <- timed("design", svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = df))
raked <- timed("rake", rake(des, list(~district + sex, ~age_group, ~area, ~education),
                            list(pop("district*sex"), pop("age_group"), pop("area"), pop("education")),
                            control = list(maxit = 100, epsilon = tolerance)))
city <- timed("rake_city", svymean(~literate, raked))
by <- timed("rake_districts", svyby(~literate, ~district, raked, svymean))
keep("rake", city, by)

cal <- timed("calibrate", calibrate(des, ~ ds + age_group + area + education, population = calibration_totals(),
                                    calfun = "raking", maxit = 100, epsilon = 1e-12))
city <- timed("calibrate_city", svymean(~literate, cal))
by <- timed("calibrate_districts", svyby(~literate, ~district, cal, svymean))
keep("calibrate", city, by)

out <- do.call(rbind, rows)
out$estimate <- sprintf("%.17g", out$estimate)
out$se <- sprintf("%.17g", out$se)
write.csv(out, file.path(folder, "r_estimates.csv"), row.names = FALSE, fileEncoding = "UTF-8")
write.csv(data.frame(step = names(times), seconds = unlist(times), cpu_seconds = unlist(cpu)),
          file.path(folder, "r_times.csv"), row.names = FALSE)
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(folder, "r_versions.txt"))
