//! The revm wrapper: every frame passes through [`EvmTr::frame_init`], where calls into Stylus
//! code are run to completion by the WASM host and come back as a frame *result*; everything
//! else goes to revm's mainnet EVM unchanged.

use std::convert::Infallible;
use std::mem;
use std::sync::Arc;

use alloy_primitives::Address;
use revm::context::{BlockEnv, CfgEnv, Context, ContextSetters, ContextTr, Evm, Journal, TxEnv};
use revm::context_interface::local::FrameStack;
use revm::context_interface::result::{EVMError, ExecutionResult, InvalidTransaction};
use revm::context_interface::JournalTr;
use revm::database::{CacheDB, EmptyDB};
use revm::handler::evm::{ContextDbError, FrameInitResult, FrameTr};
use revm::handler::instructions::EthInstructions;
use revm::handler::{
    EthFrame, EvmTr, FrameInitOrResult, FrameResult, Handler, ItemOrResult, MainnetHandler,
    PrecompileProvider,
};
use revm::interpreter::interpreter::EthInterpreter;
use revm::interpreter::interpreter_action::FrameInit;
use revm::interpreter::{CallInputs, CallScheme, FrameInput};
use revm::primitives::hardfork::SpecId;
use revm::state::EvmState;
use stylus_metering::PageTracker;

use crate::precompiles::ArbPrecompiles;
use crate::programs::ProgramCache;
use crate::stylus;
use crate::wasm_cache::RecentWasms;

/// The chain's state database.
pub type DevDb = CacheDB<EmptyDB>;
/// The revm context the devnet runs with.
pub type DevContext = Context<BlockEnv, TxEnv, CfgEnv, DevDb, Journal<DevDb>, ()>;
type InnerEvm = Evm<
    DevContext,
    (),
    EthInstructions<EthInterpreter, DevContext>,
    ArbPrecompiles,
    EthFrame<EthInterpreter>,
>;
/// Errors of a transaction that could not run at all (invalid transaction, fatal host error).
pub type TxError = EVMError<Infallible, InvalidTransaction>;
/// Fatal errors inside execution (database or host failures; the in-memory database has none).
pub type DbError = ContextDbError<DevContext>;

/// The EVM of the devnet: revm's mainnet EVM plus the Stylus host.
#[derive(Debug)]
pub struct DevEvm {
    pub(crate) inner: InnerEvm,
    pub(crate) programs: Arc<ProgramCache>,
    /// Open frames, outermost first; `None` for delegate and callcode frames, which do not
    /// count towards reentrancy (as nitro's `TxProcessor::PushContract`).
    frames: Vec<Option<Address>>,
    /// Frame stacks kept for nested runs from Stylus programs, to avoid reallocating them.
    spare_stacks: Vec<FrameStack<EthFrame<EthInterpreter>>>,
    /// Stylus pages open in this transaction and the most ever open (nitro's memory model).
    pub(crate) pages: PageTracker,
    /// Programs called recently in this block (nitro's `RecentWasms`). Blocks hold one
    /// transaction here, so the list starts empty with each transaction and each call.
    pub(crate) recent_wasms: RecentWasms,
}

impl DevEvm {
    /// An EVM over `db` with the given configuration and block.
    pub fn new(db: DevDb, cfg: CfgEnv, block: BlockEnv, programs: Arc<ProgramCache>) -> Self {
        let spec = cfg.spec;
        let ctx = DevContext::new(db, spec).with_cfg(cfg).with_block(block);
        let inner = Evm::new(
            ctx,
            EthInstructions::new_mainnet_with_spec(spec),
            ArbPrecompiles::new(spec, programs.clone()),
        );
        Self {
            inner,
            programs,
            frames: Vec::new(),
            spare_stacks: Vec::new(),
            pages: PageTracker::default(),
            recent_wasms: RecentWasms::default(),
        }
    }

    /// The revm context (journal, block, transaction, configuration).
    pub fn ctx_mut(&mut self) -> &mut DevContext {
        &mut self.inner.ctx
    }

    /// The revm context.
    pub fn ctx(&self) -> &DevContext {
        &self.inner.ctx
    }

    /// The compiled-module cache.
    pub fn programs(&self) -> &Arc<ProgramCache> {
        &self.programs
    }

    /// Runs `tx` and returns its result with the state changes, leaving the database untouched.
    pub fn transact(&mut self, tx: TxEnv) -> Result<(ExecutionResult, EvmState), TxError> {
        self.inner.ctx.set_tx(tx);
        self.frames.clear();
        self.pages = PageTracker::default();
        self.recent_wasms.clear();
        let mut handler = MainnetHandler::<Self, TxError, EthFrame<EthInterpreter>>::default();
        let result = handler.run(self);
        let state = self.inner.ctx.journal_mut().finalize();
        result.map(|result| (result, state))
    }

    fn is_stylus_call(&self, inputs: &CallInputs) -> bool {
        stylus_program::is_stylus_code(inputs.known_bytecode.1.original_byte_slice())
            && !self.inner.precompiles.contains(&inputs.bytecode_address)
    }

    /// Whether more than one open frame acts as `address` (nitro's `msg_reentrant`).
    pub(crate) fn is_reentrant(&self, address: Address) -> bool {
        self.frames.iter().filter(|a| **a == Some(address)).count() > 1
    }

    pub(crate) fn push_frame(&mut self, acting: Option<Address>) {
        self.frames.push(acting);
    }

    pub(crate) fn pop_frame(&mut self) {
        self.frames.pop();
    }

    /// Runs a call or create from inside a Stylus program to completion, on a frame stack of
    /// its own so that the suspended frames of the enclosing EVM loop stay untouched.
    pub(crate) fn run_nested(&mut self, init: FrameInit) -> Result<FrameResult, DbError> {
        let fresh = self.spare_stacks.pop().unwrap_or_default();
        let suspended = mem::replace(&mut self.inner.frame_stack, fresh);
        let result = self.run_frames(init);
        let mut used = mem::replace(&mut self.inner.frame_stack, suspended);
        used.clear();
        self.spare_stacks.push(used);
        result
    }

    /// The handler's execution loop (`Handler::run_exec_loop`), on this wrapper.
    fn run_frames(&mut self, init: FrameInit) -> Result<FrameResult, DbError> {
        if let ItemOrResult::Result(result) = self.frame_init(init)? {
            return Ok(result);
        }
        loop {
            let result = match self.frame_run()? {
                ItemOrResult::Item(init) => match self.frame_init(init)? {
                    ItemOrResult::Item(_) => continue,
                    ItemOrResult::Result(result) => result,
                },
                ItemOrResult::Result(result) => result,
            };
            if let Some(result) = self.frame_return_result(result)? {
                return Ok(result);
            }
        }
    }
}

/// The address a new frame acts as, if it counts towards reentrancy.
fn acting_address(frame: &EthFrame<EthInterpreter>) -> Option<Address> {
    match &frame.input {
        FrameInput::Call(call)
            if matches!(call.scheme, CallScheme::DelegateCall | CallScheme::CallCode) =>
        {
            None
        }
        _ => Some(frame.interpreter.input.target_address),
    }
}

impl EvmTr for DevEvm {
    type Context = DevContext;
    type Instructions = EthInstructions<EthInterpreter, DevContext>;
    type Precompiles = ArbPrecompiles;
    type Frame = EthFrame<EthInterpreter>;

    fn all(
        &self,
    ) -> (
        &Self::Context,
        &Self::Instructions,
        &Self::Precompiles,
        &FrameStack<Self::Frame>,
    ) {
        self.inner.all()
    }

    fn all_mut(
        &mut self,
    ) -> (
        &mut Self::Context,
        &mut Self::Instructions,
        &mut Self::Precompiles,
        &mut FrameStack<Self::Frame>,
    ) {
        self.inner.all_mut()
    }

    fn frame_init(
        &mut self,
        frame_input: <Self::Frame as FrameTr>::FrameInit,
    ) -> Result<FrameInitResult<'_, Self::Frame>, DbError> {
        let frame_input = match frame_input {
            FrameInit {
                depth,
                memory,
                frame_input: FrameInput::Call(inputs),
            } if self.is_stylus_call(&inputs) => {
                let result = stylus::frame::run_call(self, depth, memory, inputs)?;
                return Ok(ItemOrResult::Result(result));
            }
            other => other,
        };
        let result = self.inner.frame_init(frame_input)?;
        if let ItemOrResult::Item(frame) = &result {
            self.frames.push(acting_address(frame));
        }
        Ok(result)
    }

    fn frame_run(&mut self) -> Result<FrameInitOrResult<Self::Frame>, DbError> {
        self.inner.frame_run()
    }

    fn frame_return_result(
        &mut self,
        result: <Self::Frame as FrameTr>::FrameResult,
    ) -> Result<Option<<Self::Frame as FrameTr>::FrameResult>, DbError> {
        if self.inner.frame_stack.get().is_finished() {
            self.frames.pop();
        }
        self.inner.frame_return_result(result)
    }
}

/// The spec the devnet runs (Prague semantics; Arbitrum follows Ethereum's opcodes).
pub const SPEC: SpecId = SpecId::PRAGUE;
