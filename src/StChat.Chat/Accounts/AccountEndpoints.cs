using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StChat.Chat.Accounts;

// POST /api/accounts, POST /api/sessions, DELETE /api/sessions/current, GET /api/me and the user directory.
internal sealed class AccountEndpoints(
    AccountStore accounts,
    SessionStore sessions,
    Passwords passwords,
    LoginThrottle throttle,
    IRoomEventBus bus,
    ChatPresence presence,
    IOptions<ChatOptions> options,
    ILogger<AccountEndpoints> logger)
{
    private const int MaxDirectoryPage = 100;

    public async Task<IResult> CreateAccountAsync(HttpContext context)
    {
        var (body, problem) = await ChatRequests.ReadJsonAsync(context.Request, AccountJsonContext.Default.Credentials);
        if (problem is not null)
        {
            return problem;
        }

        if (!AccountName.IsValid(body!.Name))
        {
            return ChatProblems.BadRequest($"Invalid name: {AccountName.Rule}.");
        }

        if (Passwords.Problem(body.Password) is { } rule)
        {
            return ChatProblems.BadRequest($"Invalid password: {rule}.");
        }

        if (!throttle.TryRegister(context.Connection.RemoteIpAddress))
        {
            return TooMany(context, TimeSpan.FromHours(1) / options.Value.AccountsPerAddressPerHour,
                "Too many accounts created from this address; try again later.");
        }

        if (!await accounts.TryCreateAsync(body.Name!, passwords.Hash(body.Password!), context.RequestAborted))
        {
            return ChatProblems.Create(StatusCodes.Status409Conflict, ChatErrorCodes.NameTaken, $"The name {body.Name} is taken (names are compared without regard to case).");
        }

        logger.LogInformation("Account {Name} created", body.Name);
        return TypedResults.Json(new AccountCreated(body.Name!), AccountJsonContext.Default.AccountCreated, statusCode: StatusCodes.Status201Created);
    }

    public async Task<IResult> CreateSessionAsync(HttpContext context)
    {
        var (body, problem) = await ChatRequests.ReadJsonAsync(context.Request, AccountJsonContext.Default.Credentials);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Name is not { Length: > 0 and <= AccountName.MaxLength } name || body.Password is not { Length: > 0 and <= Passwords.MaxLength } password)
        {
            return ChatProblems.BadRequest("Give \"name\" and \"password\" of the account.");
        }

        var address = context.Connection.RemoteIpAddress;
        var wait = throttle.RetryAfter(name, address);
        if (wait > TimeSpan.Zero)
        {
            return TooMany(context, wait, "Too many failed sign-ins; wait before trying again.");
        }

        var account = AccountName.IsValid(name) ? await accounts.FindAsync(name, context.RequestAborted) : null;
        var (valid, rehashed) = passwords.Verify(account, password);
        if (!valid)
        {
            throttle.Failed(name, address);
            // The name only when it is an account's: a password typed into the name field must not reach the log.
            logger.LogInformation("Failed sign-in to {Account} from {Address}", account?.Name ?? "an unknown name", address);
            return ChatProblems.Unauthorized("Wrong name or password.");
        }

        throttle.Succeeded(name);
        if (rehashed is not null)
        {
            await accounts.UpdatePasswordHashAsync(account!.Id, rehashed, context.RequestAborted);
        }

        var (token, expires) = await sessions.CreateAsync(account!.Id, context.RequestAborted);
        logger.LogInformation("{Name} signed in", account.Name);
        return TypedResults.Json(new SessionCreated(token, expires, account.Name), AccountJsonContext.Default.SessionCreated, statusCode: StatusCodes.Status201Created);
    }

    public async Task<IResult> DeleteSessionAsync(HttpContext context)
    {
        var me = AccountUser.Of(context);
        await sessions.DeleteAsync(me.SessionId, context.RequestAborted);
        bus.SignOut(me.SessionId);
        logger.LogInformation("{Name} signed out", me.Name);
        return TypedResults.NoContent();
    }

    public static IResult Me(HttpContext context)
    {
        var me = AccountUser.Of(context);
        return TypedResults.Json(new Me(me.Name, me.ExpiresAt), AccountJsonContext.Default.Me);
    }

    public async Task<IResult> UsersAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var prefix = query["query"].ToString();
        if (prefix.Length > AccountName.MaxLength)
        {
            return ChatProblems.BadRequest($"\"query\" is at most {AccountName.MaxLength} characters.");
        }

        var limit = 20;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxDirectoryPage))
        {
            return ChatProblems.BadRequest($"\"limit\" must be 1-{MaxDirectoryPage}.");
        }

        var after = query.TryGetValue("after", out var afterText) ? afterText.ToString() : null;
        if (after is not null && !AccountName.IsValid(after))
        {
            return ChatProblems.BadRequest("\"after\" must be the last name of the previous page.");
        }

        var names = await accounts.SearchAsync(prefix, after, limit, context.RequestAborted);
        var online = await presence.OnlineAsync(names, context.RequestAborted);
        return TypedResults.Json(new Directory(names.Select(n => new DirectoryEntry(n, online.Contains(AccountName.Key(n)))).ToList()), AccountJsonContext.Default.Directory);
    }

    private static IResult TooMany(HttpContext context, TimeSpan wait, string detail)
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return ChatProblems.Create(StatusCodes.Status429TooManyRequests, ChatErrorCodes.RateLimited, detail);
    }
}

public static class AccountEndpointRouteBuilderExtensions
{
    /// <summary>Maps the account and session endpoints under <c>/api</c>.</summary>
    public static IEndpointRouteBuilder MapStChatAccounts(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var api = endpoints.ServiceProvider.GetRequiredService<AccountEndpoints>();
        endpoints.MapPost("/api/accounts", ChatRequests.Handler(api.CreateAccountAsync))
            .WithName("CreateAccount").WithSummary("Register an account")
            .Accepts<Credentials>("application/json")
            .Produces<AccountCreated>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status429TooManyRequests);
        endpoints.MapPost("/api/sessions", ChatRequests.Handler(api.CreateSessionAsync))
            .WithName("CreateSession").WithSummary("Sign in: a session token")
            .Accepts<Credentials>("application/json")
            .Produces<SessionCreated>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status429TooManyRequests);
        endpoints.MapDelete("/api/sessions/current", ChatRequests.Handler(api.DeleteSessionAsync)).AddEndpointFilter(AccountUser.RequireAccount)
            .WithName("DeleteSession").WithSummary("Sign out: the token stops working and its sockets close with 4001")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status401Unauthorized);
        endpoints.MapGet("/api/me", (Func<HttpContext, IResult>)AccountEndpoints.Me).AddEndpointFilter(AccountUser.RequireAccount)
            .WithName("Me").WithSummary("The signed-in account")
            .Produces<Me>().ProducesProblem(StatusCodes.Status401Unauthorized);
        endpoints.MapGet("/api/users", ChatRequests.Handler(api.UsersAsync)).AddEndpointFilter(AccountUser.RequireAccount)
            .WithName("Users").WithSummary("The user directory: accounts by name prefix, with online state")
            .Produces<Directory>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized);
        return endpoints;
    }
}
