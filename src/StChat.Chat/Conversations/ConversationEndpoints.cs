using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StChat.Chat.Accounts;

namespace StChat.Chat.Conversations;

// GET /api/conversations, the events and messages of one conversation, read markers and groups. Every handler runs
// behind ConversationFilters: signed in, and for a {key} or {id} path a member of it.
internal sealed class ConversationEndpoints(
    ConversationStore conversations,
    ConversationAccess access,
    ChatLogStore log,
    MessagePosting posting,
    ReadMarkers readMarkers,
    IOptions<ChatOptions> options,
    ILogger<ConversationEndpoints> logger)
{
    public const int DefaultPage = 100;
    public const int MaxTitleLength = 100;
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    private readonly ChatOptions _options = options.Value;

    public async Task<IResult> ListAsync(HttpContext context)
    {
        var me = AccountUser.Of(context);
        var rows = await conversations.ListAsync(me.Id, me.Name, room: null, context.RequestAborted);
        return TypedResults.Json(new ConversationList(rows.Select(ConversationEntry.From).ToList()), ConversationJsonContext.Default.ConversationList);
    }

    public async Task<IResult> EventsAsync(HttpContext context)
    {
        var key = ConversationFilters.KeyOf(context);
        var query = context.Request.Query;
        if (!TryReadNumber(query, "limit", 1, ChatLogStore.ReadPageSize, out var limit, out var problem)
            || !TryReadNumber(query, "after", 0, long.MaxValue, out var after, out problem)
            || !TryReadNumber(query, "before", 1, long.MaxValue, out var before, out problem))
        {
            return problem!;
        }

        if (after is not null && before is not null)
        {
            return ChatProblems.BadRequest("Give \"after\" (oldest first) or \"before\" (newest first), not both.");
        }

        var ct = context.RequestAborted;
        var lastSeq = await log.ReadLastSeqAsync(key.Value, ct);
        var page = (int)(limit ?? DefaultPage);

        // With neither, the newest events, newest first: what a client shows on opening a conversation.
        var events = after is { } from
            ? await log.ReadAfterAsync(key.Value, from, long.MaxValue, ct, page)
            : await log.ReadBeforeAsync(key.Value, before ?? long.MaxValue, page, ct);
        return TypedResults.Json(new EventPage(events, lastSeq), ConversationJsonContext.Default.EventPage);
    }

    public async Task<IResult> PostMessageAsync(HttpContext context)
    {
        var key = ConversationFilters.KeyOf(context);
        var me = AccountUser.Of(context);
        var id = context.Request.Headers[IdempotencyKeyHeader].ToString();
        if (!MessagePosting.IsValidId(id))
        {
            return ChatProblems.BadRequest(
                $"Send an {IdempotencyKeyHeader} header of 1-{MessagePosting.MaxIdLength} printable characters, such as a UUID; "
                + "repeating a request with the same key never stores the message twice.");
        }

        var (body, problem) = await ChatRequests.ReadJsonAsync(context.Request, ConversationJsonContext.Default.MessageRequest);
        if (problem is not null)
        {
            return problem;
        }

        if (MessagePosting.TextProblem(body!.Text) is { } rule)
        {
            return ChatProblems.BadRequest($"\"text\" {rule}.");
        }

        if (posting.IsTooLarge(body.Text!))
        {
            return ChatProblems.Create(StatusCodes.Status413PayloadTooLarge, ChatErrorCodes.BadRequest,
                $"\"text\" is larger than {_options.MaxMessageBytes} bytes (Chat:MaxMessageBytes).");
        }

        var ct = context.RequestAborted;
        if (await log.FindByIdAsync(key.Value, id, ct) is { } earlier)
        {
            return AccountName.SameAccount(earlier.User, me.Name) ? Event(earlier, StatusCodes.Status200OK) : IdConflict(id, earlier);
        }

        if (key.Kind == ConversationKind.Public)
        {
            await conversations.FollowAsync(me.Id, key, ct);
        }

        var result = await posting.PostAsync(key.Value, me.Name, body.Text!, id, ct);
        return result.Outcome switch
        {
            PostOutcome.Stored => Event(result.Event!, StatusCodes.Status201Created),
            PostOutcome.Conflict => IdConflict(id, result.Event!),
            _ => Unavailable(context, $"{result.Why}: the message may not have been stored; repeat the request with the same {IdempotencyKeyHeader}."),
        };
    }

    public async Task<IResult> MarkReadAsync(HttpContext context)
    {
        var key = ConversationFilters.KeyOf(context);
        var (body, problem) = await ChatRequests.ReadJsonAsync(context.Request, ConversationJsonContext.Default.ReadRequest);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Seq is not >= 0)
        {
            return ChatProblems.BadRequest("Give \"seq\": the last seq you have read, a whole number >= 0.");
        }

        var marker = await readMarkers.MarkAsync(AccountUser.Of(context), key, body.Seq.Value, context.RequestAborted);
        return marker is { } stored
            ? TypedResults.Json(new ReadState(key.Value, stored), ConversationJsonContext.Default.ReadState)
            : ChatProblems.BadRequest($"seq {body.Seq} is beyond the last event of {key}.");
    }

    public async Task<IResult> CreateGroupAsync(HttpContext context)
    {
        var me = AccountUser.Of(context);
        var (body, problem) = await ChatRequests.ReadJsonAsync(context.Request, ConversationJsonContext.Default.GroupRequest);
        if (problem is not null)
        {
            return problem;
        }

        var title = body!.Title?.Trim();
        if (string.IsNullOrEmpty(title) || title.Length > MaxTitleLength || !StorableText.IsValid(title) || title.Any(char.IsControl))
        {
            return ChatProblems.BadRequest($"\"title\" must be 1-{MaxTitleLength} printable characters.");
        }

        var names = body.Members ?? [];
        if (names.Count >= _options.MaxGroupMembers)
        {
            return ChatProblems.BadRequest($"A group has at most {_options.MaxGroupMembers} members (Chat:MaxGroupMembers), you included.");
        }

        if (names.Any(n => !AccountName.IsValid(n)))
        {
            return ChatProblems.BadRequest($"\"members\" must be account names; '{names.First(n => !AccountName.IsValid(n))}' is not one ({AccountName.Rule}).");
        }

        var ct = context.RequestAborted;
        var wanted = names.Select(n => AccountName.Key(n!)).Where(n => n != AccountName.Key(me.Name)).Distinct().ToList();
        var found = await conversations.FindAccountsAsync(wanted, ct);
        if (wanted.Except(found.Select(a => AccountName.Key(a.Name))).FirstOrDefault() is { } missing)
        {
            return ChatProblems.BadRequest($"There is no account named {missing}.");
        }

        var key = await conversations.CreateGroupAsync(new Account(me.Id, me.Name), title, found, ct);
        var entry = (await conversations.ListAsync(me.Id, me.Name, key, ct)).Single();
        var members = found.Prepend(new Account(me.Id, me.Name)).ToList();
        access.Announce(key, title, members, members);
        logger.LogInformation("{Name} created {Group} with {Count} members", me.Name, key, members.Count);
        return TypedResults.Json(ConversationEntry.From(entry), ConversationJsonContext.Default.ConversationEntry, statusCode: StatusCodes.Status201Created);
    }

    public async Task<IResult> AddMemberAsync(HttpContext context)
    {
        var key = ConversationFilters.KeyOf(context);
        var me = AccountUser.Of(context);
        var (body, problem) = await ChatRequests.ReadJsonAsync(context.Request, ConversationJsonContext.Default.MemberRequest);
        if (problem is not null)
        {
            return problem;
        }

        var ct = context.RequestAborted;
        if (!AccountName.IsValid(body!.Name) || await conversations.FindAccountAsync(body.Name!, ct) is not { } account)
        {
            return ChatProblems.BadRequest($"\"name\" must name an account; there is no account named {body.Name}.");
        }

        var members = await conversations.MembersAsync(key, ct);
        if (members.Any(m => m.Id == account.Id))
        {
            return ChatProblems.Create(StatusCodes.Status409Conflict, ChatErrorCodes.AlreadyMember, $"{account.Name} is a member of {key} already.");
        }

        if (members.Count >= _options.MaxGroupMembers)
        {
            return ChatProblems.BadRequest($"A group has at most {_options.MaxGroupMembers} members (Chat:MaxGroupMembers).");
        }

        var result = await posting.ChangeMembershipAsync(key.Value, ChatAction.MemberAdded, me.Name, account.Name, ct);
        if (result.Outcome != PostOutcome.Stored)
        {
            return Unavailable(context, $"{result.Why}: {account.Name} may not have been added; look at the member list and try again.");
        }

        var entry = (await conversations.ListAsync(me.Id, me.Name, key, ct)).Single();
        access.Announce(key, entry.Title, [.. members, account], [account]);
        return Event(result.Event!, StatusCodes.Status200OK);
    }

    public async Task<IResult> RemoveMemberAsync(HttpContext context)
    {
        var key = ConversationFilters.KeyOf(context);
        var me = AccountUser.Of(context);
        var name = context.GetRouteValue("name") as string;
        var ct = context.RequestAborted;
        var members = await conversations.MembersAsync(key, ct);
        if (members.FirstOrDefault(m => name is not null && AccountName.SameAccount(m.Name, name)) is not { } member)
        {
            return ChatProblems.Create(StatusCodes.Status409Conflict, ChatErrorCodes.NotMember, $"{name} is not a member of {key}.");
        }

        var result = await posting.ChangeMembershipAsync(key.Value, ChatAction.MemberRemoved, me.Name, member.Name, ct);
        return result.Outcome == PostOutcome.Stored
            ? Event(result.Event!, StatusCodes.Status200OK)
            : Unavailable(context, $"{result.Why}: {member.Name} may not have been removed; look at the member list and try again.");
    }

    private static IResult Event(ChatEvent e, int status) =>
        TypedResults.Json(e, ConversationJsonContext.Default.ChatEvent, statusCode: status);

    private static IResult IdConflict(string id, ChatEvent holder) => ChatProblems.Create(StatusCodes.Status409Conflict, ChatErrorCodes.IdConflict,
        $"{IdempotencyKeyHeader} '{id}' already belongs to another message here (#{holder.Seq} by {holder.User}); use a key nobody else uses, such as a UUID.");

    private static IResult Unavailable(HttpContext context, string detail)
    {
        context.Response.Headers.RetryAfter = "1";
        return ChatProblems.Unavailable(detail);
    }

    // A whole-number query parameter within [min, max]; absent is null.
    private static bool TryReadNumber(IQueryCollection query, string name, long min, long max, out long? value, out IResult? problem)
    {
        value = null;
        problem = null;
        if (!query.TryGetValue(name, out var text))
        {
            return true;
        }

        if (long.TryParse(text.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max)
        {
            value = parsed;
            return true;
        }

        problem = ChatProblems.BadRequest(max == long.MaxValue
            ? $"\"{name}\" must be a whole number >= {min}."
            : $"\"{name}\" must be a whole number from {min} to {max}.");
        return false;
    }
}
