// The .dlg grammar as a chevrotain CstParser. No semantics here: cst-to-ast.ts builds the AST.
import { CstParser, type CstNode, type IRecognitionException, type IToken } from "chevrotain";
import {
  allTokens, Arrow, As, At, Block, Colon, Comma, Equals, Identifier, Input, LBrace, LBracket, LParen, Minus, Model,
  Newline, NumberLit, Output, Param, Plus, RBrace, RBracket, Repeat, Return, RParen, Slash, Star, StringLit, Train,
  UnterminatedString, With,
} from "./tokens.js";

/**
 * Chevrotain's in-repetition recovery re-enters the repetition recursively at every resync, so thousands of syntax
 * errors (a few hundred KB of garbage) nest thousands of stack frames, take superlinear time and end in a stack
 * overflow. Past this many recognition errors the parse is abandoned; parse.ts reports only the first 50 anyway.
 */
export const MAX_RECOGNITION_ERRORS = 200;

class TooManyErrors extends Error {}

type SaveError = (this: DlgParser, e: IRecognitionException) => IRecognitionException;
const chevrotainSaveError = (CstParser.prototype as unknown as { SAVE_ERROR: SaveError }).SAVE_ERROR;

class DlgParser extends CstParser {
  recognitionErrors = 0;

  constructor() {
    super(allTokens, { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: "onlyOffset" });
    this.performSelfAnalysis();
  }

  /** Chevrotain records every recognition error through this method (not in its typings); it is wrapped to count them. */
  SAVE_ERROR(e: IRecognitionException): IRecognitionException {
    const saved = chevrotainSaveError.call(this, e);
    if (++this.recognitionErrors > MAX_RECOGNITION_ERRORS) throw new TooManyErrors();
    return saved;
  }

  program = this.RULE("program", () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Newline) },
        { ALT: () => this.SUBRULE(this.modelDecl) },
        { ALT: () => this.SUBRULE(this.blockDecl) },
      ]);
    });
  });

  modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(Model);
    this.CONSUME(Identifier);
    // `model M { ... }`: a model without hyperparameters may leave out the empty list.
    this.OPTION2(() => {
      this.CONSUME(LParen);
      this.OPTION(() => this.SUBRULE(this.paramList));
      this.CONSUME(RParen);
    });
    this.SUBRULE(this.body);
  });

  blockDecl = this.RULE("blockDecl", () => {
    this.CONSUME(Block);
    this.CONSUME(Identifier);
    this.CONSUME(LParen);
    this.OPTION(() => this.SUBRULE(this.paramList));
    this.CONSUME(RParen);
    this.OPTION2(() => {
      this.CONSUME(Arrow);
      this.SUBRULE(this.typeExpr);
    });
    this.SUBRULE(this.body);
  });

  paramList = this.RULE("paramList", () => {
    this.SUBRULE(this.paramDecl);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.paramDecl);
    });
  });

  paramDecl = this.RULE("paramDecl", () => {
    this.CONSUME(Identifier);
    this.CONSUME(Colon);
    this.SUBRULE(this.typeExpr);
    this.OPTION(() => {
      this.CONSUME(Equals);
      this.SUBRULE(this.expression);
    });
  });

  typeExpr = this.RULE("typeExpr", () => {
    this.CONSUME(Identifier);
    this.OPTION(() => {
      this.CONSUME(LBracket);
      this.OPTION2(() => {
        this.SUBRULE(this.expression);
        this.MANY(() => {
          this.CONSUME(Comma);
          this.SUBRULE2(this.expression);
        });
      });
      this.CONSUME(RBracket);
    });
  });

  body = this.RULE("body", () => {
    this.CONSUME(LBrace);
    this.OPTION(() => this.CONSUME(Newline));
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(RBrace);
  });

  statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.inputStmt) },
      { ALT: () => this.SUBRULE(this.outputStmt) },
      { ALT: () => this.SUBRULE(this.paramStmt) },
      { ALT: () => this.SUBRULE(this.returnStmt) },
      { ALT: () => this.SUBRULE(this.repeatStmt) },
      { ALT: () => this.SUBRULE(this.trainStmt) },
      { ALT: () => this.SUBRULE(this.bindingStmt) },
    ]);
    this.CONSUME(Newline);
  });

  inputStmt = this.RULE("inputStmt", () => {
    this.CONSUME(Input);
    this.CONSUME(Identifier);
    this.CONSUME(Colon);
    this.SUBRULE(this.typeExpr);
  });

  outputStmt = this.RULE("outputStmt", () => {
    this.CONSUME(Output);
    this.CONSUME(Identifier);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.CONSUME2(Identifier);
    });
  });

  paramStmt = this.RULE("paramStmt", () => {
    this.CONSUME(Param);
    this.CONSUME(Identifier);
    this.CONSUME(Colon);
    this.SUBRULE(this.typeExpr);
    this.OPTION(() => {
      this.CONSUME(Equals);
      this.SUBRULE(this.expression);
    });
  });

  returnStmt = this.RULE("returnStmt", () => {
    this.CONSUME(Return);
    this.SUBRULE(this.expression);
  });

  repeatStmt = this.RULE("repeatStmt", () => {
    this.CONSUME(Repeat);
    this.SUBRULE(this.expression);
    this.OPTION(() => {
      this.CONSUME(As);
      this.CONSUME(Identifier);
    });
    this.SUBRULE(this.body);
  });

  trainStmt = this.RULE("trainStmt", () => {
    this.CONSUME(Train);
    this.SUBRULE(this.expression);
    this.CONSUME(With);
    this.SUBRULE2(this.expression);
  });

  bindingStmt = this.RULE("bindingStmt", () => {
    this.CONSUME(Identifier);
    this.OPTION(() => {
      this.CONSUME(Colon);
      this.SUBRULE(this.typeExpr);
    });
    this.CONSUME(Equals);
    this.SUBRULE(this.expression);
  });

  expression = this.RULE("expression", () => {
    this.SUBRULE(this.additive);
    this.MANY(() => {
      this.CONSUME(Arrow);
      this.SUBRULE(this.pipeTarget);
    });
  });

  pipeTarget = this.RULE("pipeTarget", () => {
    this.CONSUME(Identifier);
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.OPTION2(() => this.SUBRULE(this.argList));
      this.CONSUME(RParen);
    });
  });

  additive = this.RULE("additive", () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(Plus) }, { ALT: () => this.CONSUME(Minus) }]);
      this.SUBRULE2(this.multiplicative);
    });
  });

  multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(Star) }, { ALT: () => this.CONSUME(Slash) }, { ALT: () => this.CONSUME(At) }]);
      this.SUBRULE2(this.unary);
    });
  });

  unary = this.RULE("unary", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Minus);
          this.SUBRULE(this.unary);
        },
      },
      { ALT: () => this.SUBRULE(this.atom) },
    ]);
  });

  atom = this.RULE("atom", () => {
    this.OR([
      { ALT: () => this.CONSUME(NumberLit) },
      { ALT: () => this.CONSUME(StringLit) },
      { ALT: () => this.CONSUME(UnterminatedString) },
      { ALT: () => this.SUBRULE(this.callOrName) },
      {
        ALT: () => {
          this.CONSUME(LParen);
          this.SUBRULE(this.expression);
          this.CONSUME(RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(LBracket);
          this.OPTION(() => {
            this.SUBRULE2(this.expression);
            this.MANY(() => {
              this.CONSUME(Comma);
              this.SUBRULE3(this.expression);
            });
          });
          this.CONSUME(RBracket);
        },
      },
    ]);
  });

  callOrName = this.RULE("callOrName", () => {
    this.CONSUME(Identifier);
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.OPTION2(() => this.SUBRULE(this.argList));
      this.CONSUME(RParen);
    });
  });

  argList = this.RULE("argList", () => {
    this.SUBRULE(this.argument);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.argument);
    });
  });

  argument = this.RULE("argument", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Identifier);
          this.CONSUME(Colon);
          this.SUBRULE(this.expression);
        },
      },
      { ALT: () => this.SUBRULE2(this.expression) },
    ]);
  });
}

// One instance, reused: building a chevrotain parser runs grammar analysis, which is far costlier than a parse.
export const parser = new DlgParser();

export interface CstResult {
  /** Absent when the parse was abandoned after MAX_RECOGNITION_ERRORS errors. */
  cst: CstNode | undefined;
  errors: { token: IToken; message: string; previous: IToken | undefined; ruleStack: string[] }[];
}

export function parseTokens(tokens: IToken[]): CstResult {
  parser.input = tokens;
  parser.recognitionErrors = 0;
  let cst: CstNode | undefined;
  try {
    cst = parser.program();
  } catch (e) {
    if (!(e instanceof TooManyErrors)) throw e;
  }
  const errors = parser.errors.map((e) => ({
    token: e.token,
    message: e.message,
    previous: (e as { previousToken?: IToken }).previousToken,
    ruleStack: e.context.ruleStack,
  }));
  return { cst, errors };
}

