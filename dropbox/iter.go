package dropbox

import (
	"context"
	"fmt"
	"iter"
)

// The iterators below follow a listing's cursor from its first page to its
// last, one call per page, as the loop asks for more. Their rules are in
// the doc of FilesService.ListFolderAll.

// followPages yields the pages of a listing: the page first fetches, then, as
// long as more gives the cursor of a next page, the page next fetches with
// it. route names the listing in errors.
func followPages[P any](ctx context.Context, route string, first func(context.Context) (P, error), more func(P) (string, bool), next func(context.Context, string) (P, error)) iter.Seq2[P, error] {
	return func(yield func(P, error) bool) {
		var zero P
		page, err := first(ctx)
		sent := ""
		for {
			if err != nil {
				yield(zero, err)
				return
			}
			if !yield(page, nil) {
				return
			}
			cursor, ok := more(page)
			if !ok {
				return
			}
			if cursor == "" || cursor == sent {
				// Asking again would get the same page forever.
				yield(zero, fmt.Errorf("dropbox: %s: the answer says there is more but gives no new cursor", route))
				return
			}
			if err := ctx.Err(); err != nil {
				yield(zero, fmt.Errorf("dropbox: %s: %w", route, context.Cause(ctx)))
				return
			}
			sent = cursor
			page, err = next(ctx, cursor)
		}
	}
}

// pageItems yields the items of each page of seq, and the error that ends it.
func pageItems[P, T any](seq iter.Seq2[P, error], of func(P) []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for page, err := range seq {
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range of(page) {
				if !yield(it, nil) {
					return
				}
			}
		}
	}
}

// argOrZero returns *p, or the zero value when p is nil: iterator arguments
// may be nil when every field is optional.
func argOrZero[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// ListFolderAll yields every entry of a folder listing (arg nil lists the
// root), following files/list_folder with files/list_folder/continue:
//
//	for e, err := range c.Files.ListFolderAll(ctx, &dropbox.ListFolderArg{Path: "/Docs"}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(e.Tag, e.Name())
//	}
//
// The rules of this package's iterators: a page is fetched when the loop
// asks for its first item, so breaking out of the loop stops the listing
// with no further call. An error (of a call, or of ctx) is yielded once,
// with a zero item, and ends the sequence. Each range over the iterator
// lists afresh. Items come as Dropbox pages them: a listing that changes
// meanwhile is seen as it pages.
//
// A cursor that expired mid-way is an error matching
// errors.Is(err, ErrReset): list again from the start. To keep the cursor
// for files/list_folder/continue, range over ListFolderPages instead.
func (s *FilesService) ListFolderAll(ctx context.Context, arg *ListFolderArg) iter.Seq2[Metadata, error] {
	return pageItems(s.ListFolderPages(ctx, arg), func(p *ListFolderResult) []Metadata { return p.Entries })
}

// ListFolderPages yields the pages of a folder listing (arg nil lists the
// root), following files/list_folder with files/list_folder/continue. Each
// page's Cursor reads the changes after it: store it once the page's
// entries are applied, and the listing can go on from there after a
// crash, or, from the last page's, pick up later changes (see
// ListFolderContinuePages). Pages are the unit rather than entries because
// a cursor stands for a whole page: none is valid in the middle of one.
// Errors as for ListFolderAll.
func (s *FilesService) ListFolderPages(ctx context.Context, arg *ListFolderArg) iter.Seq2[*ListFolderResult, error] {
	a := argOrZero(arg)
	return followPages(ctx, "files/list_folder",
		func(ctx context.Context) (*ListFolderResult, error) { return s.ListFolder(ctx, &a) },
		listFolderMore, s.listFolderNext)
}

// ListFolderContinuePages yields the pages of changes after cursor, a
// cursor of files/list_folder, files/list_folder/continue or
// files/list_folder/get_latest_cursor, through
// files/list_folder/continue, up to the latest. The last page's Cursor is
// the one to keep for next time. Errors as for ListFolderAll.
func (s *FilesService) ListFolderContinuePages(ctx context.Context, cursor string) iter.Seq2[*ListFolderResult, error] {
	return followPages(ctx, "files/list_folder/continue",
		func(ctx context.Context) (*ListFolderResult, error) { return s.listFolderNext(ctx, cursor) },
		listFolderMore, s.listFolderNext)
}

func listFolderMore(p *ListFolderResult) (string, bool) { return p.Cursor, p.HasMore }

func (s *FilesService) listFolderNext(ctx context.Context, cursor string) (*ListFolderResult, error) {
	return s.ListFolderContinue(ctx, &ListFolderContinueArg{Cursor: cursor})
}

// SearchV2All yields every match of a search, following files/search_v2
// with files/search/continue_v2. arg.Options.MaxResults sets the page
// size. Iteration as for [FilesService.ListFolderAll].
func (s *FilesService) SearchV2All(ctx context.Context, arg *SearchV2Arg) iter.Seq2[SearchMatchV2, error] {
	a := argOrZero(arg)
	seq := followPages(ctx, "files/search_v2",
		func(ctx context.Context) (*SearchV2Result, error) { return s.SearchV2(ctx, &a) },
		func(p *SearchV2Result) (string, bool) { return p.GetCursor(), p.HasMore },
		func(ctx context.Context, cursor string) (*SearchV2Result, error) {
			return s.SearchContinueV2(ctx, &SearchV2ContinueArg{Cursor: cursor})
		})
	return pageItems(seq, func(p *SearchV2Result) []SearchMatchV2 { return p.Matches })
}

// ListRevisionsAll yields every revision of a file, newest first,
// following files/list_revisions with before_rev set to the last revision
// of each page (the spec's way of paging it: the route has no cursor).
// arg.Limit sets the page size. Dropbox pages only in path mode: in id
// mode (ListRevisionsModeID) the sequence is the first page alone.
// Iteration as for [FilesService.ListFolderAll].
func (s *FilesService) ListRevisionsAll(ctx context.Context, arg *ListRevisionsArg) iter.Seq2[FileMetadata, error] {
	a := argOrZero(arg)
	seq := followPages(ctx, "files/list_revisions",
		func(ctx context.Context) (*ListRevisionsResult, error) { return s.ListRevisions(ctx, &a) },
		func(p *ListRevisionsResult) (string, bool) {
			switch {
			case !p.HasMore || a.Mode.Tag == ListRevisionsModeID:
				return "", false
			case len(p.Entries) == 0:
				return "", true // more, but nothing to page from: an error
			}
			return p.Entries[len(p.Entries)-1].Rev, true
		},
		func(ctx context.Context, rev string) (*ListRevisionsResult, error) {
			b := a
			b.BeforeRev = &rev
			return s.ListRevisions(ctx, &b)
		})
	return pageItems(seq, func(p *ListRevisionsResult) []FileMetadata { return p.Entries })
}

// ListSharedLinksAll yields the shared links of the user (arg nil: all of
// them), following sharing/list_shared_links with its cursor. Iteration
// as for [FilesService.ListFolderAll].
func (s *SharingService) ListSharedLinksAll(ctx context.Context, arg *ListSharedLinksArg) iter.Seq2[SharedLinkMetadata, error] {
	a := argOrZero(arg)
	seq := followPages(ctx, "sharing/list_shared_links",
		func(ctx context.Context) (*ListSharedLinksResult, error) { return s.ListSharedLinks(ctx, &a) },
		func(p *ListSharedLinksResult) (string, bool) { return p.GetCursor(), p.HasMore },
		func(ctx context.Context, cursor string) (*ListSharedLinksResult, error) {
			b := a
			b.Cursor = &cursor
			return s.ListSharedLinks(ctx, &b)
		})
	return pageItems(seq, func(p *ListSharedLinksResult) []SharedLinkMetadata { return p.Links })
}

// ListFoldersAll yields the shared folders the user is a member of (arg
// nil for the defaults), following sharing/list_folders with
// sharing/list_folders/continue. Iteration as for [FilesService.ListFolderAll].
func (s *SharingService) ListFoldersAll(ctx context.Context, arg *ListFoldersArgs) iter.Seq2[SharedFolderMetadata, error] {
	a := argOrZero(arg)
	seq := followPages(ctx, "sharing/list_folders",
		func(ctx context.Context) (*ListFoldersResult, error) { return s.ListFolders(ctx, &a) },
		listFoldersMore,
		func(ctx context.Context, cursor string) (*ListFoldersResult, error) {
			return s.ListFoldersContinue(ctx, &ListFoldersContinueArg{Cursor: cursor})
		})
	return pageItems(seq, func(p *ListFoldersResult) []SharedFolderMetadata { return p.Entries })
}

// ListMountableFoldersAll yields the shared folders the user can mount or
// unmount (arg nil for the defaults), following
// sharing/list_mountable_folders with
// sharing/list_mountable_folders/continue. Iteration as for [FilesService.ListFolderAll].
func (s *SharingService) ListMountableFoldersAll(ctx context.Context, arg *ListFoldersArgs) iter.Seq2[SharedFolderMetadata, error] {
	a := argOrZero(arg)
	seq := followPages(ctx, "sharing/list_mountable_folders",
		func(ctx context.Context) (*ListFoldersResult, error) { return s.ListMountableFolders(ctx, &a) },
		listFoldersMore,
		func(ctx context.Context, cursor string) (*ListFoldersResult, error) {
			return s.ListMountableFoldersContinue(ctx, &ListFoldersContinueArg{Cursor: cursor})
		})
	return pageItems(seq, func(p *ListFoldersResult) []SharedFolderMetadata { return p.Entries })
}

// listFoldersMore: ListFoldersResult has no has_more; a cursor means more.
func listFoldersMore(p *ListFoldersResult) (string, bool) {
	return p.GetCursor(), p.Cursor != nil
}

// ListFolderMembersPages yields the pages of a shared folder's members,
// following sharing/list_folder_members with
// sharing/list_folder_members/continue. A page holds three lists (users,
// groups, invitees), so the pages are what it yields. Iteration as for
// [FilesService.ListFolderAll].
func (s *SharingService) ListFolderMembersPages(ctx context.Context, arg *ListFolderMembersArgs) iter.Seq2[*SharedFolderMembers, error] {
	a := argOrZero(arg)
	return followPages(ctx, "sharing/list_folder_members",
		func(ctx context.Context) (*SharedFolderMembers, error) { return s.ListFolderMembers(ctx, &a) },
		func(p *SharedFolderMembers) (string, bool) { return p.GetCursor(), p.Cursor != nil },
		func(ctx context.Context, cursor string) (*SharedFolderMembers, error) {
			return s.ListFolderMembersContinue(ctx, &ListFolderMembersContinueArg{Cursor: cursor})
		})
}

// ListV2All yields every file request of the user (arg nil for the
// defaults), following file_requests/list_v2 with
// file_requests/list/continue. Iteration as for [FilesService.ListFolderAll].
func (s *FileRequestsService) ListV2All(ctx context.Context, arg *ListFileRequestsArg) iter.Seq2[FileRequest, error] {
	a := argOrZero(arg)
	seq := followPages(ctx, "file_requests/list_v2",
		func(ctx context.Context) (*ListFileRequestsV2Result, error) { return s.ListV2(ctx, &a) },
		func(p *ListFileRequestsV2Result) (string, bool) { return p.Cursor, p.HasMore },
		func(ctx context.Context, cursor string) (*ListFileRequestsV2Result, error) {
			return s.ListContinue(ctx, &ListFileRequestsContinueArg{Cursor: cursor})
		})
	return pageItems(seq, func(p *ListFileRequestsV2Result) []FileRequest { return p.FileRequests })
}

// MembersListV2All yields every member of the team (arg nil for the
// defaults), following team/members/list_v2 with
// team/members/list/continue_v2. Iteration as for [FilesService.ListFolderAll].
func (s *TeamService) MembersListV2All(ctx context.Context, arg *MembersListArg) iter.Seq2[TeamMemberInfoV2, error] {
	a := argOrZero(arg)
	seq := followPages(ctx, "team/members/list_v2",
		func(ctx context.Context) (*MembersListV2Result, error) { return s.MembersListV2(ctx, &a) },
		func(p *MembersListV2Result) (string, bool) { return p.Cursor, p.HasMore },
		func(ctx context.Context, cursor string) (*MembersListV2Result, error) {
			return s.MembersListContinueV2(ctx, &MembersListContinueArg{Cursor: cursor})
		})
	return pageItems(seq, func(p *MembersListV2Result) []TeamMemberInfoV2 { return p.Members })
}

// TeamFolderListAll yields every team folder of the team (arg nil for the
// defaults), following team/team_folder/list with
// team/team_folder/list/continue. Iteration as for [FilesService.ListFolderAll].
func (s *TeamService) TeamFolderListAll(ctx context.Context, arg *TeamFolderListArg) iter.Seq2[TeamFolderMetadata, error] {
	a := argOrZero(arg)
	seq := followPages(ctx, "team/team_folder/list",
		func(ctx context.Context) (*TeamFolderListResult, error) { return s.TeamFolderList(ctx, &a) },
		func(p *TeamFolderListResult) (string, bool) { return p.Cursor, p.HasMore },
		func(ctx context.Context, cursor string) (*TeamFolderListResult, error) {
			return s.TeamFolderListContinue(ctx, &TeamFolderListContinueArg{Cursor: cursor})
		})
	return pageItems(seq, func(p *TeamFolderListResult) []TeamFolderMetadata { return p.TeamFolders })
}

// NamespacesListAll yields every namespace of the team (arg nil for the
// defaults), following team/namespaces/list with
// team/namespaces/list/continue. Iteration as for [FilesService.ListFolderAll].
func (s *TeamService) NamespacesListAll(ctx context.Context, arg *TeamNamespacesListArg) iter.Seq2[NamespaceMetadata, error] {
	a := argOrZero(arg)
	seq := followPages(ctx, "team/namespaces/list",
		func(ctx context.Context) (*TeamNamespacesListResult, error) { return s.NamespacesList(ctx, &a) },
		func(p *TeamNamespacesListResult) (string, bool) { return p.Cursor, p.HasMore },
		func(ctx context.Context, cursor string) (*TeamNamespacesListResult, error) {
			return s.NamespacesListContinue(ctx, &TeamNamespacesListContinueArg{Cursor: cursor})
		})
	return pageItems(seq, func(p *TeamNamespacesListResult) []NamespaceMetadata { return p.Namespaces })
}
