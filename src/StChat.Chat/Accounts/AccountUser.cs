using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace StChat.Chat.Accounts;

// The signed-in account behind a request, as the session authentication handler puts it in HttpContext.User.
internal sealed record AccountUser(long Id, string Name, long SessionId, DateTimeOffset ExpiresAt)
{
    public const string Scheme = "StChatSession";

    private const string IdClaim = "stchat:account_id";
    private const string SessionClaim = "stchat:session_id";
    private const string ExpiresClaim = "stchat:expires_at";

    public ClaimsPrincipal ToPrincipal() => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, Name),
            new Claim(IdClaim, Id.ToString(CultureInfo.InvariantCulture)),
            new Claim(SessionClaim, SessionId.ToString(CultureInfo.InvariantCulture)),
            new Claim(ExpiresClaim, ExpiresAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)),
        ],
        Scheme));

    // Null for an anonymous request.
    public static AccountUser? From(ClaimsPrincipal principal) =>
        principal.Identity is { IsAuthenticated: true, AuthenticationType: Scheme, Name: { } name }
        && long.TryParse(principal.FindFirstValue(IdClaim), CultureInfo.InvariantCulture, out var id)
        && long.TryParse(principal.FindFirstValue(SessionClaim), CultureInfo.InvariantCulture, out var session)
        && long.TryParse(principal.FindFirstValue(ExpiresClaim), CultureInfo.InvariantCulture, out var expires)
            ? new AccountUser(id, name, session, DateTimeOffset.FromUnixTimeMilliseconds(expires))
            : null;

    // The account of a request on a path behind RequireAccount.
    public static AccountUser Of(HttpContext context) =>
        From(context.User) ?? throw new InvalidOperationException("The endpoint runs without the RequireAccount filter.");

    // The endpoint filter of signed-in paths: an anonymous request gets 401 before any handler runs.
    public static ValueTask<object?> RequireAccount(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next) =>
        From(invocation.HttpContext.User) is null ? ValueTask.FromResult<object?>(ChatProblems.Unauthorized()) : next(invocation);
}
