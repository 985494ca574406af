#include "sam/rle.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/parallel.h"

namespace samq::sam {

namespace {

// Runs of one strip of columns, in column-major order, starting with the strip's first value.
struct StripRuns {
  uint8_t first = 0;
  std::vector<uint32_t> runs;
};

constexpr int64_t kStripCols = 64;

// Transposes the strip's columns into a small column-major buffer (reading the row-major mask
// row by row stays cache friendly) and scans it for runs.
StripRuns ScanStrip(const uint8_t* mask, int64_t h, int64_t w, int64_t x0, int64_t x1,
                    std::vector<uint8_t>& buf) {
  const int64_t sw = x1 - x0;
  buf.resize(static_cast<size_t>(sw * h));
  for (int64_t y = 0; y < h; ++y) {
    const uint8_t* row = mask + y * w + x0;
    for (int64_t j = 0; j < sw; ++j) buf[j * h + y] = row[j] != 0;
  }
  StripRuns s;
  const int64_t n = sw * h;
  s.first = buf[0];
  // memchr (SIMD in libc) jumps to the end of each run; SAM masks have long runs.
  const uint8_t* data = buf.data();
  uint8_t cur = s.first;
  int64_t start = 0;
  while (start < n) {
    const void* next = std::memchr(data + start, cur ^ 1, static_cast<size_t>(n - start));
    const int64_t end = next ? static_cast<const uint8_t*>(next) - data : n;
    s.runs.push_back(static_cast<uint32_t>(end - start));
    start = end;
    cur ^= 1;
  }
  return s;
}

}  // namespace

Rle EncodeRle(const uint8_t* mask, int64_t height, int64_t width) {
  Rle r;
  r.height = height;
  r.width = width;
  if (height <= 0 || width <= 0) {
    r.counts = {0};  // pycocotools gives [0] for an empty mask
    return r;
  }
  const int64_t strips = (width + kStripCols - 1) / kStripCols;
  std::vector<StripRuns> parts(static_cast<size_t>(strips));
  const int64_t grain = std::max<int64_t>(1, (1 << 18) / (kStripCols * height));
  parallel_for(strips, grain, [&](int64_t s0, int64_t s1) {
    std::vector<uint8_t> buf;
    for (int64_t s = s0; s < s1; ++s) {
      const int64_t x0 = s * kStripCols, x1 = std::min(width, x0 + kStripCols);
      parts[s] = ScanStrip(mask, height, width, x0, x1, buf);
    }
  });
  // Stitch the strips: a strip whose first value equals the running value extends that run.
  uint8_t value = 0;
  uint64_t run = 0;
  for (const StripRuns& part : parts) {
    for (size_t i = 0; i < part.runs.size(); ++i) {
      const uint8_t v = i == 0 ? part.first : static_cast<uint8_t>(value ^ 1);
      if (v != value) {
        r.counts.push_back(static_cast<uint32_t>(run));
        run = 0;
        value = v;
      }
      run += part.runs[i];
    }
  }
  r.counts.push_back(static_cast<uint32_t>(run));
  return r;
}

std::string RleCountsToString(const std::vector<uint32_t>& counts) {
  std::string s;
  s.reserve(counts.size() * 2);
  for (size_t i = 0; i < counts.size(); ++i) {
    int64_t x = counts[i];
    if (i > 2) x -= counts[i - 2];
    bool more = true;
    while (more) {
      char c = static_cast<char>(x & 0x1f);
      x >>= 5;  // arithmetic shift: negative deltas end when only sign bits remain
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      s.push_back(static_cast<char>(c + 48));
    }
  }
  return s;
}

Result<std::vector<uint32_t>> RleCountsFromString(std::string_view s) {
  std::vector<uint32_t> counts;
  size_t p = 0;
  while (p < s.size()) {
    uint64_t bits = 0;
    int k = 0;
    bool more = true;
    while (more) {
      if (p >= s.size()) {
        return Status::UserF("RLE counts string ends inside a count (at character {})", p);
      }
      const int c = static_cast<unsigned char>(s[p]) - 48;
      if (c < 0 || c > 63) {
        return Status::UserF("RLE counts string has invalid character '{}' at position {}", s[p],
                             p);
      }
      if (k >= 12) {  // 60 bits: far beyond any uint32 count
        return Status::UserF("RLE counts string has a count that is too long at position {}", p);
      }
      bits |= static_cast<uint64_t>(c & 0x1f) << (5 * k);
      more = (c & 0x20) != 0;
      ++p;
      ++k;
      if (!more && (c & 0x10)) bits |= ~uint64_t{0} << (5 * k);  // sign-extend
    }
    int64_t x = static_cast<int64_t>(bits);
    if (counts.size() > 2) x += counts[counts.size() - 2];
    if (x < 0 || x > std::numeric_limits<uint32_t>::max()) {
      return Status::UserF("RLE counts string decodes to an invalid count {} (count #{})", x,
                           counts.size());
    }
    counts.push_back(static_cast<uint32_t>(x));
  }
  return counts;
}

Status ValidateRle(const Rle& rle) {
  if (rle.height < 0 || rle.width < 0) {
    return Status::UserF("RLE size must be non-negative, got [{}, {}]", rle.height, rle.width);
  }
  uint64_t total = 0;
  for (uint32_t c : rle.counts) total += c;
  const uint64_t want = static_cast<uint64_t>(rle.height) * static_cast<uint64_t>(rle.width);
  if (total != want) {
    return Status::UserF("RLE counts cover {} pixels but the size [{}, {}] has {}", total,
                         rle.height, rle.width, want);
  }
  return Status::Ok();
}

Result<Rle> RleFromString(std::string_view counts, int64_t height, int64_t width) {
  Rle r;
  r.height = height;
  r.width = width;
  SAMQ_ASSIGN_OR_RETURN(r.counts, RleCountsFromString(counts));
  SAMQ_RETURN_IF_ERROR(ValidateRle(r));
  return r;
}

std::vector<uint8_t> DecodeRle(const Rle& rle, uint8_t on) {
  const int64_t h = rle.height, w = rle.width;
  std::vector<uint8_t> out(static_cast<size_t>(std::max<int64_t>(h * w, 0)), 0);
  int64_t pos = 0;  // column-major index
  const int64_t n = h * w;
  for (size_t i = 0; i < rle.counts.size() && pos < n; ++i) {
    const int64_t end = std::min<int64_t>(n, pos + rle.counts[i]);
    if (i % 2 == 1) {
      for (int64_t q = pos; q < end; ++q) out[(q % h) * w + q / h] = on;
    }
    pos = end;
  }
  return out;
}

int64_t RleArea(const Rle& rle) {
  int64_t a = 0;
  for (size_t i = 1; i < rle.counts.size(); i += 2) a += rle.counts[i];
  return a;
}

std::array<int64_t, 4> RleBbox(const Rle& rle) {
  // Walks the run boundaries as maskApi.c's rleToBbox does; a 1-run that wraps from one column
  // into the next covers the full height of the box.
  const int64_t h = rle.height, w = rle.width;
  const size_t m = rle.counts.size() / 2 * 2;  // a trailing 0-run adds nothing
  if (m == 0 || h <= 0 || w <= 0) return {0, 0, 0, 0};
  int64_t xs = w, ys = h, xe = 0, ye = 0, xp = 0, cc = 0;
  for (size_t j = 0; j < m; ++j) {
    cc += rle.counts[j];
    const int64_t t = cc - static_cast<int64_t>(j % 2);
    const int64_t y = t % h, x = (t - y) / h;
    if (j % 2 == 0) {
      xp = x;
    } else if (xp < x) {
      ys = 0;
      ye = h - 1;
    }
    xs = std::min(xs, x);
    xe = std::max(xe, x);
    ys = std::min(ys, y);
    ye = std::max(ye, y);
  }
  return {xs, ys, xe - xs + 1, ye - ys + 1};
}

}  // namespace samq::sam
