# ds.smell.predefined-frameworks (estate smell; met means absent): predefined frameworks
# and architecture.
#
# As ds.smell.monolith's framework clause, which is ds.arch.tiny-libs' test: the smell is
# present when an internal package (published by a scanned repository or under a
# configured prefix) is declared by more than half of the deployables and holds over
# 20,000 lines of code. Absent (met) otherwise; a package shared by most deployables
# whose size is unknown, or a read with unreadable files, leaves it unknown.
package evident.rules.ds.smell.predefined_frameworks

import data.evident.rules.ds.arch.tiny_libs
import rego.v1

result := tiny_libs.result
