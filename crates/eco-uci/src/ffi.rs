//! The one unsafe file of eco-uci: a safe Rust API over libuci (through `libuci-sys`).
//!
//! * [`Context`] owns a `uci_context` (freed on drop) and offers the operations of the Lua cursor
//!   (docs/uci.md) as methods that take byte strings and return `Result<_, Error>`; every libuci
//!   call returns to Rust before anything else happens (libuci's own `setjmp`/`longjmp` error
//!   traps stay inside libuci's frames, and nothing here calls back into Lua).
//! * Read access to loaded data goes through borrowed views ([`Package`], [`Section`],
//!   [`Opt`]) tied to a shared borrow of the context: nothing can modify or free the data while
//!   a view exists, because every modifying method takes `&mut Context`.
//!
//! Error strings: `"uci: <text>"` with libuci's texts; parse errors of config files add
//! ` (<reason>) at line <n>, byte <m>` (libuci's `uci_get_errorstr`, used only for those: for
//! other codes it could repeat a stale parse position from its static buffer).
use std::ffi::{c_char, c_int, c_void, CStr};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use libuci_sys as sys;

// Values of libuci's enums that libuci-sys does not re-export (uci.h; stable ABI).
const UCI_ERR_MEM: c_int = 1;
pub const UCI_ERR_INVAL: c_int = 2;
pub const UCI_ERR_NOTFOUND: c_int = 3;
const UCI_ERR_PARSE: c_int = 5;
const UCI_ERR_LAST: c_int = 8;
const UCI_TYPE_PACKAGE: u32 = 2;
const UCI_TYPE_SECTION: u32 = 3;
const UCI_TYPE_OPTION: u32 = 4;
const UCI_TYPE_STRING: u32 = 0;
const UCI_TYPE_LIST: u32 = 1;
const UCI_LOOKUP_COMPLETE: u32 = 1 << 1;
const UCI_LOOKUP_EXTENDED: u32 = 1 << 2;
const UCI_CMD_LIST_ADD: u32 = 5;

const ERRSTR: [&str; 8] = [
    "Success",
    "Out of memory",
    "Invalid argument",
    "Entry not found",
    "I/O error",
    "Parse error",
    "Duplicate entry",
    "Unknown error",
];

extern "C" {
    fn free(p: *mut c_void);
}

/// A failed libuci operation: its code (`UCI_ERR_*`) and the message Lua sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: c_int,
    pub msg: String,
}

impl Error {
    /// The error of `code` without parse details: `uci: <text>`.
    pub fn code(code: c_int) -> Error {
        let i = if (0..UCI_ERR_LAST).contains(&code) {
            code as usize
        } else {
            7
        };
        Error {
            code,
            msg: format!("uci: {}", ERRSTR[i]),
        }
    }

    pub fn inval() -> Error {
        Error::code(UCI_ERR_INVAL)
    }
}

pub type Res<T> = std::result::Result<T, Error>;

/// A NUL-terminated copy of `b`; an inner NUL is an invalid argument.
fn cbuf(b: &[u8]) -> Res<Vec<u8>> {
    if b.contains(&0) {
        return Err(Error::inval());
    }
    let mut v = Vec::with_capacity(b.len() + 1);
    v.extend_from_slice(b);
    v.push(0);
    Ok(v)
}

/// libuci's name rule (`uci_validate_name`): `[A-Za-z0-9_]+`.
pub fn valid_name(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Whether libuci's writer can write section type `t` back: it writes types unquoted, so a type
/// holding `#`, `;`, a quote or a backslash (all accepted by libuci's own type check) would make
/// the committed file unparsable or change it. docs/uci.md: such types are refused.
pub fn writable_type(t: &[u8]) -> bool {
    !t.iter().any(|c| b"#;'\"\\".contains(c))
}

/// The bytes of a C string owned by libuci (empty for NULL).
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
unsafe fn bytes<'a>(p: *const c_char) -> &'a [u8] {
    if p.is_null() {
        return &[];
    }
    // SAFETY: non-NULL and NUL-terminated, alive for 'a (the caller's contract).
    unsafe { CStr::from_ptr(p) }.to_bytes()
}

/// Iterator over the elements of a libuci list (`uci_foreach_element`). The element's
/// `list` node is its first field, and the element is the first field of the package,
/// section, option or delta that holds it, so one pointer serves all three.
struct Elems<'a> {
    head: *const sys::uci_list,
    cur: *const sys::uci_list,
    _life: PhantomData<&'a ()>,
}

impl<'a> Elems<'a> {
    /// # Safety
    /// `head` is a valid list head whose nodes stay alive and unmodified for `'a`.
    unsafe fn new(head: *const sys::uci_list) -> Self {
        // SAFETY: head is valid (the caller's contract).
        let cur = unsafe { (*head).next };
        Elems {
            head,
            cur,
            _life: PhantomData,
        }
    }
}

impl<'a> Iterator for Elems<'a> {
    type Item = &'a sys::uci_element;
    fn next(&mut self) -> Option<Self::Item> {
        if ptr::eq(self.cur, self.head) || self.cur.is_null() {
            return None;
        }
        let e = self.cur as *const sys::uci_element;
        // SAFETY: a node of a live list (see `new`) that is not the head is the first field of
        // a `uci_element` (offset 0), alive for 'a.
        let e = unsafe { &*e };
        self.cur = e.list.next;
        Some(e)
    }
}

/// A loaded package.
#[derive(Clone, Copy)]
pub struct Package<'a>(&'a sys::uci_package);

/// A section of a loaded package.
#[derive(Clone, Copy)]
pub struct Section<'a>(&'a sys::uci_section);

/// An option of a section.
#[derive(Clone, Copy)]
pub struct Opt<'a>(&'a sys::uci_option);

/// An option's value: a string or the items of a list.
pub enum Value<'a> {
    Str(&'a [u8]),
    List(Vec<&'a [u8]>),
    Other,
}

impl<'a> Package<'a> {
    pub fn sections(&self) -> impl Iterator<Item = Section<'a>> {
        // SAFETY: the section list of a live package, unmodifiable while 'a lasts.
        unsafe { Elems::new(&self.0.sections) }.map(|e| {
            // SAFETY: the elements of a package's section list are `uci_section`s (the
            // element is their first field), alive for 'a.
            let s = unsafe { &*(e as *const sys::uci_element as *const sys::uci_section) };
            Section(s)
        })
    }
}

impl<'a> Section<'a> {
    pub fn name(&self) -> &'a [u8] {
        // SAFETY: as Package::name.
        unsafe { bytes(self.0.e.name) }
    }

    pub fn type_(&self) -> &'a [u8] {
        // SAFETY: the section type is a live C string owned by the section.
        unsafe { bytes(self.0.type_) }
    }

    pub fn anonymous(&self) -> bool {
        self.0.anonymous
    }

    pub fn options(&self) -> impl Iterator<Item = Opt<'a>> {
        // SAFETY: the option list of a live section.
        unsafe { Elems::new(&self.0.options) }.map(|e| {
            // SAFETY: the elements of a section's option list are `uci_option`s (the element
            // is their first field), alive for 'a.
            let o = unsafe { &*(e as *const sys::uci_element as *const sys::uci_option) };
            Opt(o)
        })
    }
}

impl<'a> Opt<'a> {
    pub fn name(&self) -> &'a [u8] {
        // SAFETY: as Package::name.
        unsafe { bytes(self.0.e.name) }
    }

    pub fn value(&self) -> Value<'a> {
        match self.0.type_ {
            // SAFETY: a string option holds `v.string`, a live C string.
            UCI_TYPE_STRING => Value::Str(unsafe { bytes(self.0.v.string) }),
            UCI_TYPE_LIST => {
                // SAFETY: a list option holds `v.list`, a live list of item elements.
                let items = unsafe { Elems::new(&self.0.v.list) };
                Value::List(
                    items
                        .map(|e| {
                            // SAFETY: item elements carry their value as the element name.
                            unsafe { bytes(e.name) }
                        })
                        .collect(),
                )
            }
            _ => Value::Other,
        }
    }
}

/// What `get`/`get_all` found.
pub enum Found<'a> {
    Package(Package<'a>),
    Section(Section<'a>),
    Option(Opt<'a>),
}

/// One change of `changes()`: section, option name (None for a section's type), value, and
/// whether it appends a list item.
pub struct Change {
    pub section: Vec<u8>,
    pub name: Option<Vec<u8>>,
    pub value: Vec<u8>,
    pub list_add: bool,
}

/// A location as the Lua methods receive it: one dotted string, or separate parts.
#[derive(Clone, Copy)]
pub enum Path<'a> {
    Dotted(&'a [u8]),
    Parts {
        package: &'a [u8],
        section: Option<&'a [u8]>,
        option: Option<&'a [u8]>,
    },
}

impl<'a> Path<'a> {
    fn first(&self) -> &'a [u8] {
        let s = match self {
            Path::Dotted(s) => s,
            Path::Parts { package, .. } => package,
        };
        match s.iter().position(|c| *c == b'.') {
            Some(i) => &s[..i],
            None => s,
        }
    }
}

/// What follows the location in `set`/`rename`/`reorder` (the argument-count forms of the
/// reference binding).
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    /// one dotted string, value after `=`
    Dotted,
    /// `(p, s, v)`: the third argument is the value (section type, new name, position)
    Third,
    /// `(p, s, o, v)`
    Value(&'a [u8]),
    /// `(p, s, o, {v1, ...})` (set only; not empty)
    List(&'a [&'a [u8]]),
    /// any other argument count
    Bad,
}

/// A `uci_ptr` with the buffers its string fields point into (heap buffers: moving the
/// struct keeps the pointers valid; the buffers are never modified after `ptr` points in).
struct Lookup {
    ptr: sys::uci_ptr,
    _keep: Vec<Vec<u8>>,
}

/// The save/commit/revert commands.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PkgCmd {
    Save,
    Commit,
    Revert,
}

/// An owned libuci context (`uci_alloc_context`), freed on drop.
pub struct Context {
    ctx: NonNull<sys::uci_context>,
    /// Bumped by every method that may change the loaded data (load, unload, set, ...).
    epoch: u64,
    /// Where the last `section_from` stopped, valid while `epoch` is unchanged: section walks
    /// of `foreach`/`each` continue from there instead of from the head (O(n) instead of
    /// O(n^2) over a package).
    walk: Option<Walk>,
}

#[derive(Clone, Copy)]
struct Walk {
    epoch: u64,
    pkg: *const sys::uci_package,
    /// position of `node` in the package's section list
    idx: usize,
    /// a node of that list (or its head, at the end)
    node: *const sys::uci_list,
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: the context came from uci_alloc_context and is freed exactly once, here; no
        // view borrows it any more (drop has `&mut self`).
        unsafe { sys::uci_free_context(self.ctx.as_ptr()) }
    }
}

impl Context {
    /// A new context: confdir `/etc/config`, savedir `/tmp/.uci` (libuci's defaults).
    pub fn new() -> Option<Context> {
        // SAFETY: plain allocation call, no preconditions.
        let p = unsafe { sys::uci_alloc_context() };
        NonNull::new(p).map(|ctx| Context {
            ctx,
            epoch: 0,
            walk: None,
        })
    }

    /// Marks the loaded data as possibly changed (drops the walk position).
    fn touch(&mut self) {
        self.epoch += 1;
        self.walk = None;
    }

    fn raw(&self) -> *mut sys::uci_context {
        self.ctx.as_ptr()
    }

    fn c(&self) -> &sys::uci_context {
        // SAFETY: the context is valid for the life of self; shared access only.
        unsafe { self.ctx.as_ref() }
    }

    /// The error of the last libuci call (`ctx->err`), with parse details for parse errors.
    fn last_error(&self) -> Error {
        let code = self.c().err;
        if code == UCI_ERR_PARSE && !self.c().pctx.is_null() {
            let mut s: *mut c_char = ptr::null_mut();
            // SAFETY: valid context; `s` receives a malloc'd string or NULL, freed below.
            unsafe { sys::uci_get_errorstr(self.raw(), &mut s, c"uci".as_ptr()) };
            if !s.is_null() {
                // SAFETY: asprintf result, NUL-terminated; freed once after copying.
                let msg = unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned();
                // SAFETY: allocated by libc (asprintf).
                unsafe { free(s as *mut c_void) };
                return Error { code, msg };
            }
        }
        if code == 0 {
            return Error::code(UCI_ERR_MEM);
        }
        Error::code(code)
    }

    fn check(&self, rc: c_int) -> Res<()> {
        if rc == 0 {
            Ok(())
        } else {
            Err(self.last_error())
        }
    }

    pub fn confdir(&self) -> &[u8] {
        // SAFETY: confdir is always a valid C string owned by the context.
        unsafe { bytes(self.c().confdir) }
    }

    pub fn savedir(&self) -> &[u8] {
        // SAFETY: as confdir.
        unsafe { bytes(self.c().savedir) }
    }

    pub fn set_confdir(&mut self, dir: &[u8]) -> Res<()> {
        let d = cbuf(dir)?;
        // SAFETY: valid context and NUL-terminated string (copied by libuci).
        let rc = unsafe { sys::uci_set_confdir(self.raw(), d.as_ptr().cast()) };
        self.check(rc)
    }

    pub fn set_savedir(&mut self, dir: &[u8]) -> Res<()> {
        let d = cbuf(dir)?;
        // SAFETY: as set_confdir.
        let rc = unsafe { sys::uci_set_savedir(self.raw(), d.as_ptr().cast()) };
        self.check(rc)
    }

    pub fn add_delta_path(&mut self, dir: &[u8]) -> Res<()> {
        let d = cbuf(dir)?;
        // SAFETY: as set_confdir.
        let rc = unsafe { sys::uci_add_delta_path(self.raw(), d.as_ptr().cast()) };
        self.check(rc)
    }

    /// Names of the packages in confdir (sorted, valid names only).
    pub fn list_configs(&mut self) -> Res<Vec<Vec<u8>>> {
        let mut list: *mut *mut c_char = ptr::null_mut();
        // SAFETY: valid context; `list` receives one malloc'd block (pointer array + strings).
        let rc = unsafe { sys::uci_list_configs(self.raw(), &mut list) };
        self.check(rc)?;
        if list.is_null() {
            return Err(Error::code(UCI_ERR_NOTFOUND));
        }
        let mut out = Vec::new();
        let mut i = 0;
        loop {
            // SAFETY: the array is NULL-terminated; i never passes the terminator.
            let p = unsafe { *list.add(i) };
            if p.is_null() {
                break;
            }
            // SAFETY: entries point to NUL-terminated strings inside the block.
            out.push(unsafe { bytes(p) }.to_vec());
            i += 1;
        }
        // SAFETY: one block allocated by libuci with malloc; freed once.
        unsafe { free(list as *mut c_void) };
        Ok(out)
    }

    /// The loaded package `name`, if any.
    fn find_loaded(&self, name: &[u8]) -> Option<*mut sys::uci_package> {
        // SAFETY: the root list of a valid context.
        let mut it = unsafe { Elems::new(&self.c().root) };
        it.find(|e| {
            // SAFETY: element names are live C strings.
            unsafe { bytes(e.name) == name }
        })
        .map(|e| e as *const sys::uci_element as *mut sys::uci_package)
    }

    /// Loads `name` (confdir file plus saved deltas) unless it is loaded.
    fn find_package(&mut self, name: &[u8], autoload: bool) -> Res<Option<*mut sys::uci_package>> {
        if let Some(p) = self.find_loaded(name) {
            return Ok(Some(p));
        }
        if !autoload {
            return Ok(None);
        }
        let n = cbuf(name)?;
        self.touch();
        let mut p: *mut sys::uci_package = ptr::null_mut();
        // SAFETY: valid context and name; `p` receives the loaded package (owned by ctx).
        let rc = unsafe { sys::uci_load(self.raw(), n.as_ptr().cast(), &mut p) };
        self.check(rc)?;
        if p.is_null() {
            return Err(self.last_error());
        }
        Ok(Some(p))
    }

    /// `load`: unloads `name` if loaded, then loads it.
    pub fn load(&mut self, name: &[u8]) -> Res<()> {
        self.unload(name);
        self.find_package(name, true).map(|_| ())
    }

    /// `unload`: `None` when not loaded.
    pub fn unload(&mut self, name: &[u8]) -> Option<Res<()>> {
        let p = self.find_loaded(name)?;
        self.touch();
        // SAFETY: a package of this context; no view borrows it (`&mut self`).
        let rc = unsafe { sys::uci_unload(self.raw(), p) };
        Some(self.check(rc))
    }

    /// `uci_lookup_ptr`, through the extended (`@type[n]`) lookup when the section needs it
    /// (on a copy, so a failing extended lookup leaves `l` as it was).
    fn lookup_ptr(&mut self, l: &mut Lookup, s: Option<*mut c_char>) -> c_int {
        let ext = l.ptr.s.is_null() && !l.ptr.section.is_null() && {
            // SAFETY: section points into a live buffer or element name.
            unsafe { *l.ptr.section == b'@' as c_char }
        };
        let sp = s.unwrap_or(ptr::null_mut());
        if ext {
            let mut copy = l.ptr;
            copy.flags |= UCI_LOOKUP_EXTENDED;
            // SAFETY: valid context; the ptr's strings live in `l._keep` or the package.
            let rc = unsafe { sys::uci_lookup_ptr(self.raw(), &mut copy, sp, true) };
            if rc == 0 {
                l.ptr = copy;
            }
            rc
        } else {
            // SAFETY: as above; `sp` is NULL or a NUL-terminated buffer kept in `l`.
            unsafe { sys::uci_lookup_ptr(self.raw(), &mut l.ptr, sp, true) }
        }
    }

    /// The reference binding's `lookup_args`: loads the package, then looks the path up.
    fn lookup_args(&mut self, path: Path<'_>) -> Res<Lookup> {
        self.find_package(path.first(), true)?;
        // SAFETY: uci_ptr is plain data (pointers and integers); all-zero is its empty state.
        let zero: sys::uci_ptr = unsafe { std::mem::zeroed() };
        let mut l = Lookup {
            ptr: zero,
            _keep: Vec::new(),
        };
        let rc = match path {
            Path::Parts {
                package,
                section,
                option,
            } => {
                let p = cbuf(package)?;
                l.ptr.package = p.as_ptr().cast();
                l._keep.push(p);
                if let Some(s) = section {
                    let s = cbuf(s)?;
                    l.ptr.section = s.as_ptr().cast();
                    l._keep.push(s);
                }
                if let Some(o) = option {
                    let o = cbuf(o)?;
                    l.ptr.option = o.as_ptr().cast();
                    l._keep.push(o);
                }
                self.lookup_ptr(&mut l, None)
            }
            Path::Dotted(s) => {
                let mut b = cbuf(s)?;
                let p = b.as_mut_ptr().cast::<c_char>();
                let rc = self.lookup_ptr(&mut l, Some(p));
                l._keep.push(b);
                rc
            }
        };
        self.check(rc)?;
        Ok(l)
    }

    /// `get` (`all == false`) and `get_all`.
    pub fn get(&mut self, path: Path<'_>, all: bool) -> Res<Found<'_>> {
        let mut l = self.lookup_args(path)?;
        self.lookup_ptr(&mut l, None);
        if !all && l.ptr.s.is_null() {
            return Err(Error::inval());
        }
        if l.ptr.flags & UCI_LOOKUP_COMPLETE == 0 || l.ptr.last.is_null() {
            return Err(Error::code(UCI_ERR_NOTFOUND));
        }
        // SAFETY: a complete lookup's `last` is a live element of a loaded package; the
        // package/section/option pointers it set are live too, borrowed with self.
        unsafe {
            match (*l.ptr.last).type_ {
                UCI_TYPE_PACKAGE => Ok(Found::Package(Package(&*l.ptr.p))),
                UCI_TYPE_SECTION => Ok(Found::Section(Section(&*l.ptr.s))),
                UCI_TYPE_OPTION => Ok(Found::Option(Opt(&*l.ptr.o))),
                _ => Err(Error::inval()),
            }
        }
    }

    /// `add(pkg, type)`: a new anonymous section; its generated name.
    pub fn add(&mut self, package: &[u8], type_: &[u8]) -> Res<Vec<u8>> {
        self.touch();
        let p = self.find_package(package, true)?.ok_or_else(Error::inval)?;
        if !writable_type(type_) {
            return Err(Error::inval());
        }
        let t = cbuf(type_)?;
        let mut s: *mut sys::uci_section = ptr::null_mut();
        // SAFETY: a live package of this context, NUL-terminated type; `s` receives the
        // section (owned by the package).
        let rc = unsafe { sys::uci_add_section(self.raw(), p, t.as_ptr().cast(), &mut s) };
        self.check(rc)?;
        if s.is_null() {
            return Err(self.last_error());
        }
        // SAFETY: the new live section; its name is copied out at once.
        Ok(unsafe { bytes((*s).e.name) }.to_vec())
    }

    /// Checks names given as separate parts before they can be created (libuci checks
    /// only the dotted form): a new section or option needs a valid name.
    fn check_new_names(l: &Lookup, path: Path<'_>) -> Res<()> {
        if let Path::Parts {
            section, option, ..
        } = path
        {
            if l.ptr.s.is_null() {
                if let Some(s) = section {
                    if !valid_name(s) {
                        return Err(Error::inval());
                    }
                }
            }
            if l.ptr.o.is_null() && !l.ptr.option.is_null() {
                if let Some(o) = option {
                    if !valid_name(o) {
                        return Err(Error::inval());
                    }
                }
            }
        }
        Ok(())
    }

    /// Sets `ptr.value` to a NUL-terminated copy of `v` kept in `l`.
    fn set_value(l: &mut Lookup, v: &[u8]) -> Res<()> {
        let b = cbuf(v)?;
        // SAFETY: uci_validate_text reads a NUL-terminated string.
        if !unsafe { sys::uci_validate_text(b.as_ptr().cast()) } {
            return Err(Error::inval());
        }
        l.ptr.value = b.as_ptr().cast();
        l._keep.push(b);
        Ok(())
    }

    /// Moves the option slot into the value slot (the 3-argument forms).
    fn option_to_value(l: &mut Lookup) {
        l.ptr.value = l.ptr.option;
        l.ptr.option = ptr::null();
        l.ptr.o = ptr::null_mut();
    }

    /// `set`.
    pub fn set(&mut self, path: Path<'_>, arg: Arg<'_>) -> Res<()> {
        self.touch();
        let mut l = self.lookup_args(path)?;
        let mut list: Option<&[&[u8]]> = None;
        match arg {
            Arg::Dotted => {}
            Arg::Value(v) => Self::set_value(&mut l, v)?,
            Arg::List(items) => {
                let first = items.first().ok_or_else(Error::inval)?;
                Self::set_value(&mut l, first)?;
                for it in items {
                    let b = cbuf(it)?;
                    // SAFETY: NUL-terminated buffer.
                    if !unsafe { sys::uci_validate_text(b.as_ptr().cast()) } {
                        return Err(Error::inval());
                    }
                }
                list = Some(items);
            }
            Arg::Third => Self::option_to_value(&mut l),
            Arg::Bad => return Err(Error::inval()),
        }
        let rc = self.lookup_ptr(&mut l, None);
        self.check(rc)?;
        if (l.ptr.s.is_null() && !l.ptr.option.is_null()) || l.ptr.value.is_null() {
            return Err(Error::inval());
        }
        Self::check_new_names(&l, path)?;
        // SAFETY: value is a NUL-terminated string kept in `l` or the path buffer.
        if l.ptr.option.is_null() && !writable_type(unsafe { bytes(l.ptr.value) }) {
            return Err(Error::inval());
        }
        let raw = self.raw();
        match list {
            None => {
                // SAFETY: a looked-up ptr of this context whose strings live in `l`.
                let rc = unsafe { sys::uci_set(raw, &mut l.ptr) };
                self.check(rc)
            }
            Some(items) => {
                let mut start = 1;
                if items.len() == 1 {
                    start = 0;
                    if !l.ptr.o.is_null() {
                        let v = l.ptr.value;
                        l.ptr.value = ptr::null();
                        // SAFETY: as above (deletes the existing option).
                        let rc = unsafe { sys::uci_delete(raw, &mut l.ptr) };
                        self.check(rc)?;
                        l.ptr.value = v;
                    }
                } else {
                    // SAFETY: as above (the first item as a plain option).
                    let rc = unsafe { sys::uci_set(raw, &mut l.ptr) };
                    self.check(rc)?;
                }
                for it in &items[start..] {
                    Self::set_value(&mut l, it)?;
                    // SAFETY: as above; the value buffer lives in `l`.
                    let rc = unsafe { sys::uci_add_list(raw, &mut l.ptr) };
                    self.check(rc)?;
                }
                Ok(())
            }
        }
    }

    /// `rename`.
    pub fn rename(&mut self, path: Path<'_>, arg: Arg<'_>) -> Res<()> {
        self.touch();
        let mut l = self.lookup_args(path)?;
        match arg {
            Arg::Dotted => {}
            Arg::Value(v) => Self::set_value(&mut l, v)?,
            Arg::Third => Self::option_to_value(&mut l),
            Arg::List(_) | Arg::Bad => return Err(Error::inval()),
        }
        let rc = self.lookup_ptr(&mut l, None);
        self.check(rc)?;
        if (l.ptr.s.is_null() && !l.ptr.option.is_null()) || l.ptr.value.is_null() {
            return Err(Error::inval());
        }
        // SAFETY: value is a NUL-terminated string kept in `l` or in the path buffer.
        if !valid_name(unsafe { bytes(l.ptr.value) }) {
            return Err(Error::inval());
        }
        // SAFETY: a looked-up ptr of this context whose strings live in `l`.
        let rc = unsafe { sys::uci_rename(self.raw(), &mut l.ptr) };
        self.check(rc)
    }

    /// `reorder`.
    pub fn reorder(&mut self, path: Path<'_>, arg: Arg<'_>) -> Res<()> {
        self.touch();
        let mut l = self.lookup_args(path)?;
        match arg {
            Arg::Dotted => {
                if !l.ptr.option.is_null() {
                    return Err(Error::inval());
                }
            }
            Arg::Third => Self::option_to_value(&mut l),
            _ => return Err(Error::inval()),
        }
        let rc = self.lookup_ptr(&mut l, None);
        self.check(rc)?;
        if l.ptr.s.is_null() || l.ptr.value.is_null() {
            return Err(Error::inval());
        }
        // SAFETY: NUL-terminated value string kept alive by `l`.
        let pos = parse_ulong(unsafe { bytes(l.ptr.value) });
        // SAFETY: a live section of this context.
        let rc = unsafe { sys::uci_reorder_section(self.raw(), l.ptr.s, pos) };
        self.check(rc)
    }

    /// `delete`.
    pub fn delete(&mut self, path: Path<'_>) -> Res<()> {
        self.touch();
        let mut l = self.lookup_args(path)?;
        // SAFETY: a looked-up ptr of this context whose strings live in `l`.
        let rc = unsafe { sys::uci_delete(self.raw(), &mut l.ptr) };
        self.check(rc)
    }

    /// `save`, `commit`, `revert` of the package named by `path` (and for revert, the
    /// section/option it names).
    pub fn package_cmd(&mut self, path: Path<'_>, cmd: PkgCmd) -> Res<()> {
        self.touch();
        let mut l = self.lookup_args(path)?;
        self.lookup_ptr(&mut l, None);
        let p = l.ptr.p;
        if p.is_null() {
            return Err(Error::code(UCI_ERR_NOTFOUND));
        }
        if cmd == PkgCmd::Commit {
            // SAFETY: a live package of this context, only read here.
            let types_ok = Package(unsafe { &*p })
                .sections()
                .all(|s| writable_type(s.type_()));
            if !types_ok {
                return Err(Error::inval());
            }
        }
        let raw = self.raw();
        let rc = match cmd {
            PkgCmd::Commit => {
                let mut pp = p;
                // SAFETY: a live package of this context; libuci may replace `pp` with the
                // reloaded package (the old one is freed by libuci, `l` is not used again).
                unsafe { sys::uci_commit(raw, &mut pp, false) }
            }
            // SAFETY: a live package of this context.
            PkgCmd::Save => unsafe { sys::uci_save(raw, p) },
            PkgCmd::Revert => {
                // SAFETY: a looked-up ptr of this context; libuci reloads the package (and
                // frees the old one: `l` is not used afterwards).
                unsafe { sys::uci_revert(raw, &mut l.ptr) }
            }
        };
        self.check(rc)
    }

    /// The next section of a walk over package `name` (loaded if needed), of type `type_` when
    /// given, with its position: the first at position >= `from`, or, when `after` names the
    /// section the walk returned last, the first after it (if the data changed since, e.g. a
    /// callback deleted sections, `after` is searched by name; when it is gone the walk goes
    /// on at its old position `from - 1`, like libuci's `uci_foreach_element_safe`).
    pub fn section_from(
        &mut self,
        name: &[u8],
        type_: Option<&[u8]>,
        from: usize,
        after: Option<&[u8]>,
    ) -> Res<Option<(Section<'_>, usize)>> {
        let p = self.find_package(name, true)?.ok_or_else(Error::inval)? as *const sys::uci_package;
        // SAFETY: `p` is a live package of this context.
        let head: *const sys::uci_list = unsafe { &(*p).sections };
        let (mut node, mut idx, from) = match self.walk {
            Some(w) if w.epoch == self.epoch && ptr::eq(w.pkg, p) && w.idx == from => {
                (w.node, w.idx, from)
            }
            _ => {
                let from = match after {
                    None => from,
                    Some(a) => {
                        // SAFETY: a live package, borrowed only for this search.
                        let found = Package(unsafe { &*p })
                            .sections()
                            .position(|s| s.name() == a);
                        match found {
                            Some(k) => k + 1,
                            None => from.saturating_sub(1),
                        }
                    }
                };
                // SAFETY: the head of a live list.
                (unsafe { (*head).next } as *const sys::uci_list, 0, from)
            }
        };
        while !ptr::eq(node, head) {
            // SAFETY: a node of the live section list that is not the head is the first field
            // of a `uci_section` (its element's list node); nothing changed since the walk
            // position was recorded (same epoch).
            let sec = unsafe { &*(node as *const sys::uci_section) };
            // SAFETY: as above.
            node = unsafe { (*node).next };
            idx += 1;
            if idx - 1 < from {
                continue;
            }
            let s = Section(sec);
            if type_.is_some_and(|t| s.type_() != t) {
                continue;
            }
            self.walk = Some(Walk {
                epoch: self.epoch,
                pkg: p,
                idx,
                node,
            });
            // SAFETY: a live section borrowed with self.
            return Ok(Some((
                Section(unsafe { &*(sec as *const sys::uci_section) }),
                idx - 1,
            )));
        }
        Ok(None)
    }

    /// `changes(pkg)`: the saved and pending deltas of `pkg` (loaded for the call if it
    /// was not, then unloaded again). `None` when the package cannot be loaded.
    pub fn changes(&mut self, name: &[u8]) -> Option<Vec<Change>> {
        self.touch();
        let (p, autoload) = match self.find_package(name, false) {
            Ok(Some(p)) => (p, false),
            _ => match self.find_package(name, true) {
                Ok(Some(p)) => (p, true),
                _ => return None,
            },
        };
        let mut out = Vec::new();
        // SAFETY: a live package; both delta lists hold `uci_delta` elements (first field);
        // everything is copied out before the package can be unloaded.
        unsafe {
            for head in [&(*p).saved_delta, &(*p).delta] {
                for e in Elems::new(head) {
                    let d = &*(e as *const sys::uci_element as *const sys::uci_delta);
                    if d.section.is_null() {
                        continue;
                    }
                    out.push(Change {
                        section: bytes(d.section).to_vec(),
                        name: (!d.e.name.is_null()).then(|| bytes(d.e.name).to_vec()),
                        value: bytes(d.value).to_vec(),
                        list_add: d.cmd == UCI_CMD_LIST_ADD,
                    });
                }
            }
            if autoload {
                sys::uci_unload(self.raw(), p);
            }
        }
        Some(out)
    }
}

/// `strtoul(s, NULL, 10)` as the reference reorder uses it, saturated to `int`.
fn parse_ulong(s: &[u8]) -> c_int {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    if i < s.len() && s[i] == b'+' {
        i += 1;
    }
    let mut v: u64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add((s[i] - b'0') as u64);
        i += 1;
    }
    v.min(c_int::MAX as u64) as c_int
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulong() {
        assert_eq!(parse_ulong(b"12"), 12);
        assert_eq!(parse_ulong(b" 3x"), 3);
        assert_eq!(parse_ulong(b"x"), 0);
        assert_eq!(parse_ulong(b"99999999999999"), c_int::MAX);
    }

    #[test]
    fn names() {
        assert!(valid_name(b"a_1"));
        assert!(!valid_name(b""));
        assert!(!valid_name(b"a b"));
        assert!(!valid_name(b"a.b"));
    }

    fn parts<'a>(p: &'a [u8], s: Option<&'a [u8]>, o: Option<&'a [u8]>) -> Path<'a> {
        Path::Parts {
            package: p,
            section: s,
            option: o,
        }
    }

    #[test]
    fn context_roundtrip() {
        let dir = std::env::temp_dir().join(format!("eco-uci-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("c")).unwrap();
        std::fs::write(dir.join("c/p"), "config t 's'\n\toption o 'v'\n").unwrap();
        let mut c = Context::new().unwrap();
        c.set_confdir(dir.join("c").to_str().unwrap().as_bytes())
            .unwrap();
        c.set_savedir(dir.join("s").to_str().unwrap().as_bytes())
            .unwrap();
        match c.get(parts(b"p", Some(b"s"), Some(b"o")), false) {
            Ok(Found::Option(o)) => assert!(matches!(o.value(), Value::Str(b"v"))),
            _ => panic!("get"),
        }
        assert_eq!(
            c.get(parts(b"p", Some(b"s"), Some(b"x")), false).err(),
            Some(Error::code(UCI_ERR_NOTFOUND))
        );
        assert_eq!(c.get(Path::Dotted(b"p"), false).err(), Some(Error::inval()));
        c.set(
            parts(b"p", Some(b"s"), Some(b"l")),
            Arg::List(&[b"a", b"b"]),
        )
        .unwrap();
        let sid = c.add(b"p", b"t").unwrap();
        assert!(sid.starts_with(b"cfg"));
        let (sec, i) = c.section_from(b"p", Some(b"t"), 1, None).unwrap().unwrap();
        assert_eq!((sec.name(), i), (&sid[..], 1));
        c.package_cmd(Path::Dotted(b"p"), PkgCmd::Commit).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("c/p")).unwrap(),
            "\nconfig t 's'\n\toption o 'v'\n\tlist l 'a'\n\tlist l 'b'\n\nconfig t\n\n"
        );
        assert_eq!(c.load(b"nope").err(), Some(Error::code(UCI_ERR_NOTFOUND)));
        std::fs::write(dir.join("c/bad"), "config a 'b\n").unwrap();
        assert_eq!(
            c.load(b"bad").err().map(|e| e.msg),
            Some("uci: Parse error (EOF with unterminated ') at line 1, byte 12".to_string())
        );
        assert_eq!(
            c.list_configs().unwrap(),
            vec![b"bad".to_vec(), b"p".to_vec()]
        );
        drop(c);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors() {
        assert_eq!(Error::code(3).msg, "uci: Entry not found");
        assert_eq!(Error::code(99).msg, "uci: Unknown error");
    }
}
