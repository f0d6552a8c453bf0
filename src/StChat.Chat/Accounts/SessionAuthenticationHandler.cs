using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StChat.Chat.Accounts;

// The "StChatSession" scheme: `Authorization: Bearer <token>` on any request, or `?access_token=<token>` on a WebSocket
// upgrade (the browser's WebSocket API cannot set headers). Only upgrades accept the query form, which keeps tokens
// out of the URLs of ordinary requests; AccessTokenRedactingServer has already taken it out of every URL, so it is
// read from the request's QueryAccessToken feature. A request without a token is anonymous; one with a token that is
// unknown, expired or signed out fails, and never says which.
internal sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    SessionStore sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string BearerPrefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Token(Context) is not { } token)
        {
            return AuthenticateResult.NoResult();
        }

        var user = await sessions.FindAsync(token, Context.RequestAborted);
        return user is null
            ? AuthenticateResult.Fail("The session token is invalid, expired or signed out.")
            : AuthenticateResult.Success(new AuthenticationTicket(user.ToPrincipal(), AccountUser.Scheme));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        await ChatProblems.Unauthorized().ExecuteAsync(Context);
    }

    // The token the request presents, if any; also the per-session key of the REST rate limits (ClientRateLimits).
    public static string? Token(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return header[BearerPrefix.Length..].Trim();
        }

        return context.WebSockets.IsWebSocketRequest ? QueryAccessToken.Of(context) : null;
    }
}
