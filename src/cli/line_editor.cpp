// See line_editor.h. libedit's native API (histedit.h): an EditLine with emacs bindings and a
// History; the terminal's ISIG is off while a line is edited so Ctrl+C arrives as a key.
#include "cli/line_editor.h"

#include <histedit.h>

#include <cstdio>
#include <system_error>

namespace corral::cli {

struct LineEditor::Impl {
  EditLine* el = nullptr;
  History* history = nullptr;
  HistEvent event{};
  std::optional<std::filesystem::path> history_file;
  std::string prompt;
  bool interrupted = false;
  std::string interrupted_text;

  static Impl& of(EditLine* el) {
    void* data = nullptr;
    el_get(el, EL_CLIENTDATA, &data);
    return *static_cast<Impl*>(data);
  }
  static const char* prompt_of(EditLine* el) { return of(el).prompt.c_str(); }

  // Bound to ^C: remembers what was typed and ends el_gets as if at end of file.
  static unsigned char on_interrupt(EditLine* el, int) {
    Impl& self = of(el);
    const LineInfo* line = el_line(el);
    self.interrupted = true;
    self.interrupted_text.assign(line->buffer, static_cast<size_t>(line->lastchar - line->buffer));
    return CC_EOF;
  }
};

LineEditor::LineEditor(std::optional<std::filesystem::path> history_file) : impl_(std::make_unique<Impl>()) {
  impl_->history_file = std::move(history_file);
  impl_->el = el_init("corral", stdin, stdout, stderr);
  el_set(impl_->el, EL_CLIENTDATA, impl_.get());
  el_set(impl_->el, EL_EDITOR, "emacs");
  el_set(impl_->el, EL_SIGNAL, 1);  // window size changes and suspend are handled by libedit
  el_set(impl_->el, EL_PROMPT, &Impl::prompt_of);
  // While editing, ^C is a key (no SIGINT): the REPL clears the line or explains how to leave.
  el_set(impl_->el, EL_SETTY, "-d", "-isig", nullptr);
  el_set(impl_->el, EL_ADDFN, "corral-interrupt", "Interrupt the line", &Impl::on_interrupt);
  el_set(impl_->el, EL_BIND, "^C", "corral-interrupt", nullptr);

  impl_->history = history_init();
  history(impl_->history, &impl_->event, H_SETSIZE, 1000);
  history(impl_->history, &impl_->event, H_SETUNIQUE, 1);
  el_set(impl_->el, EL_HIST, history, impl_->history);
  if (impl_->history_file) {
    std::error_code ec;
    std::filesystem::create_directories(impl_->history_file->parent_path(), ec);
    history(impl_->history, &impl_->event, H_LOAD, impl_->history_file->c_str());
  }
}

LineEditor::~LineEditor() {
  el_end(impl_->el);
  history_end(impl_->history);
}

LineRead LineEditor::read(const std::string& prompt) {
  impl_->prompt = prompt;
  impl_->interrupted = false;
  int count = 0;
  const char* line = el_gets(impl_->el, &count);
  if (impl_->interrupted) return {LineRead::Kind::kInterrupt, impl_->interrupted_text};
  if (line == nullptr || count <= 0) return {LineRead::Kind::kEof, {}};
  std::string text(line, static_cast<size_t>(count));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return {LineRead::Kind::kLine, std::move(text)};
}

void LineEditor::remember(const std::string& line) {
  if (!history_enabled_ || line.empty()) return;
  history(impl_->history, &impl_->event, H_ENTER, line.c_str());
  if (impl_->history_file) history(impl_->history, &impl_->event, H_SAVE, impl_->history_file->c_str());
}

}  // namespace corral::cli
