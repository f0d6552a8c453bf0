namespace StChat.Chat;

// The codes a client can see in {"action":"error","code":...}; the README lists them.
internal static class ChatErrorCodes
{
    public const string BadJson = "bad_json";               // the frame is not a JSON object
    public const string UnknownAction = "unknown_action";   // "action" is not one the server accepts
    public const string BadRequest = "bad_request";         // valid JSON, but a field is missing or malformed
    public const string RateLimited = "rate_limited";       // over the per-connection frame rate; retry later
    public const string Unavailable = "unavailable";        // not known to be stored (maybe it was); resend the same id
    public const string IdConflict = "id_conflict";         // the id belongs to someone else's message; use unique ids
    public const string ReplayFailed = "replay_failed";     // history could not be read; reconnect with ?after=
    public const string Internal = "internal";              // an unexpected server fault; the server log has details
}
