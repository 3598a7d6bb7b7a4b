package endpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"sort"
	"strings"

	"github.com/interact-oss/interact"
)

// statusOf maps every error code to its HTTP status: the one place that does.
var statusOf = map[string]int{
	interact.EINVALID:        http.StatusBadRequest,
	interact.EINVALIDORIGIN:  http.StatusBadRequest,
	interact.EOUCYCLE:        http.StatusBadRequest,
	interact.ETEMPLATEREQ:    http.StatusBadRequest,
	interact.ENOTSELECTABLE:  http.StatusBadRequest,
	interact.EUNAUTHORIZED:   http.StatusUnauthorized,
	interact.EINVALIDKEY:     http.StatusUnauthorized,
	interact.EFORBIDDEN:      http.StatusForbidden,
	interact.ECSRF:           http.StatusForbidden,
	interact.EINTERACTOFF:    http.StatusForbidden,
	interact.ENOTLICENSED:    http.StatusForbidden,
	interact.EADDONMISSING:   http.StatusForbidden,
	interact.EMODALITYOFF:    http.StatusForbidden,
	interact.EORIGINREFUSED:  http.StatusForbidden,
	interact.ETENANTINACTIVE: http.StatusForbidden,
	interact.EIMDISABLED:     http.StatusForbidden,
	interact.ENOTFOUND:       http.StatusNotFound,
	interact.EUNKNOWNCONTACT: http.StatusNotFound,
	interact.ECONFLICT:       http.StatusConflict,
	interact.ETENANTREQUIRED: http.StatusConflict,
	interact.EOUNOTEMPTY:     http.StatusConflict,
	interact.ETOOLARGE:       http.StatusRequestEntityTooLarge,
	interact.ERATELIMITED:    http.StatusTooManyRequests,
	interact.ECAPACITY:       http.StatusTooManyRequests,
	interact.EINTERNAL:       http.StatusInternalServerError,
	interact.ESTORAGE:        http.StatusServiceUnavailable,

	interact.ECALNOTSELECTABLE: http.StatusBadRequest,
	interact.ECLOSED:           http.StatusForbidden, // like the other gates of a contact

	interact.EMAILOFF:     http.StatusServiceUnavailable,
	interact.ELINKINVALID: http.StatusNotFound,
	interact.ELINKUSED:    http.StatusGone,
	interact.ELINKEXPIRED: http.StatusGone,

	interact.ERATINGEXISTS:   http.StatusConflict,
	interact.ERATINGDISABLED: http.StatusForbidden,
	interact.ETASKNOTENDED:   http.StatusConflict,
	interact.ENOTRATEABLE:    http.StatusConflict,

	interact.EHISTORYDISABLED: http.StatusForbidden,
}

// StatusOf is the HTTP status of err's code.
func StatusOf(err error) int {
	if st, ok := statusOf[interact.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// ErrorCodes lists every error code, sorted.
func ErrorCodes() []string {
	codes := make([]string, 0, len(statusOf))
	for c := range statusOf {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}

// errorBody is the JSON shape of every error answer. Tenants comes with
// tenant_required only: the tenants a sign-in may choose from.
type errorBody struct {
	Error struct {
		Code    string                  `json:"code"`
		Message string                  `json:"message"`
		Tenants []interact.TenantChoice `json:"tenants,omitempty"`
	} `json:"error"`
}

// ErrorShape is a value of the error answer's type, for describing it.
var ErrorShape any = errorBody{}

// WriteError answers with err's code and message. Only internal errors are
// logged, with their detail; users see "Internal error.".
func WriteError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	code := interact.ErrorCode(err)
	status := StatusOf(err)
	if code == interact.EINTERNAL {
		log.Error("request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("client", ClientAddr(r)), slog.Any("err", err))
	}
	var body errorBody
	body.Error.Code, body.Error.Message, body.Error.Tenants = code, interact.ErrorMessage(err), interact.ErrorTenants(err)
	WriteJSON(w, status, body)
}

// WriteJSON answers with v as JSON, never cached.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// List is the JSON shape of every collection.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// ListOf is the one-page List of items.
func ListOf[T any](items []T) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items}
}

// MaxBody bounds every JSON request body.
const MaxBody = 64 << 10

// Decode reads a JSON body into v, refusing unknown fields, trailing data,
// wrong types and oversize bodies with messages that say what to fix.
func Decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return interact.Errorf(interact.EINVALID, "Send the request body as application/json.")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			return interact.Errorf(interact.EINVALID, "The request body must hold exactly one JSON value.")
		}
		if _, err := dec.Token(); err != io.EOF {
			return interact.Errorf(interact.EINVALID, "The request body must hold exactly one JSON value.")
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return interact.Errorf(interact.ETOOLARGE, "The request body must be at most %d bytes.", MaxBody)
	case errors.As(err, &syn):
		return interact.Errorf(interact.EINVALID, "The request body is not valid JSON (at byte %d).", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return interact.Errorf(interact.EINVALID, "The request body is not valid JSON: it ends too early.")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return interact.Errorf(interact.EINVALID, "The request body must be a JSON %s.", jsonKind(v))
		}
		return interact.Errorf(interact.EINVALID, "Field %q must be %s, not a JSON %s.", jsonPath(typ.Field), jsonType(typ.Type), typ.Value)
	case errors.Is(err, io.EOF):
		return interact.Errorf(interact.EINVALID, "The request body is empty; send a JSON object.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return interact.Errorf(interact.EINVALID, "Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return interact.Errorf(interact.EINVALID, "The request body could not be read: %s.", err.Error())
}

// jsonPath drops the Go names of embedded structs from a field path
// ("User.licenses.interact" → "licenses.interact").
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	for len(parts) > 1 && parts[0] != "" && parts[0][0] >= 'A' && parts[0][0] <= 'Z' {
		parts = parts[1:]
	}
	return strings.Join(parts, ".")
}

// jsonType names a Go type the way JSON speaks of it.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// Reply writes v (or an error) as the route's answer.
func Reply[T any](w http.ResponseWriter, status int, v T, err error) error {
	if err != nil {
		return err
	}
	WriteJSON(w, status, v)
	return nil
}

// ReplyList answers with items as a List.
func ReplyList[T any](w http.ResponseWriter, items []T, err error) error {
	return Reply(w, http.StatusOK, ListOf(items), err)
}

// NoContent answers 204, or the error.
func NoContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func jsonKind(v any) string {
	if strings.HasPrefix(fmt.Sprintf("%T", v), "*[]") {
		return "array"
	}
	return "object"
}
